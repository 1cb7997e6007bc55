import LgregArchitecture

/// Runs a `ViTModel`'s forward pass on batches of up to `maxBatch` images.
///
/// Every activation buffer is planned once, for `maxBatch`, in one allocation, and reused by every layer:
/// the forward pass allocates nothing. Not thread-safe: one runner per thread (OpenBLAS threads each GEMM).
///
/// ```swift
/// let runner = ViTRunner(model: model, maxBatch: 16)
/// let logits = try runner.logits(images: pixels, batch: 16)   // [16, classes]
/// ```
public final class ViTRunner: @unchecked Sendable {
    /// The model this runner evaluates.
    public let model: ViTModel
    /// The most images one call takes.
    public let maxBatch: Int

    private let plan: ActivationPlan
    private let storage: UnsafeMutablePointer<Float>

    public init(model: ViTModel, maxBatch: Int) {
        precondition(maxBatch >= 1, "maxBatch must be at least 1")
        self.model = model
        self.maxBatch = maxBatch
        plan = ActivationPlan(architecture: model.architecture, batch: maxBatch)
        storage = .allocate(capacity: plan.count)
        storage.initialize(repeating: 0, count: plan.count)
    }

    deinit { storage.deallocate() }

    /// Floats of activation memory the runner holds.
    public var activationCount: Int { plan.count }

    /// Logits for `batch` images given as [batch, inChannels, imageSize, imageSize] normalized floats.
    ///
    /// - Returns: a pointer to [batch, classes] logits, valid until the next call on this runner.
    /// - Throws: `RuntimeError.batchTooLarge` when `batch > maxBatch`.
    public func logits(images: UnsafePointer<Float>, batch: Int) throws -> UnsafePointer<Float> {
        guard batch <= maxBatch else { throw RuntimeError.batchTooLarge(batch: batch, maxBatch: maxBatch) }
        forward(images: images, batch: batch)
        return UnsafePointer(storage + plan.logits)
    }

    /// Logits for `batch` images in an array, as a new array of batch × classes floats.
    public func logits(images: [Float], batch: Int) throws -> [Float] {
        let arch = model.architecture
        precondition(images.count == batch * arch.inChannels * arch.imageSize * arch.imageSize,
                     "images holds \(images.count) floats, not \(batch) images of the model's shape")
        let result = try images.withUnsafeBufferPointer { try logits(images: $0.baseAddress!, batch: batch) }
        return Array(UnsafeBufferPointer(start: result, count: batch * arch.classes))
    }

    private func forward(images: UnsafePointer<Float>, batch: Int) {
        let arch = model.architecture, params = model.parameters
        let d = arch.width, t = arch.tokenCount, n = arch.patchCount, rows = batch * t
        let prefix = arch.classToken ? 1 : 0
        let eps = Float(arch.layerNormEps)
        func at(_ offset: Int) -> UnsafeMutablePointer<Float> { storage + offset }
        let x = at(plan.x), ln = at(plan.ln), qkv = at(plan.qkv), attn = at(plan.attn), hidden = at(plan.hidden)
        let mean = at(plan.mean), rstd = at(plan.rstd)

        // Patch embedding: one GEMM over every patch of every image, then class token and positions.
        patchifyForward(at(plan.patches), images, batch: batch, channels: arch.inChannels,
                        imageSize: arch.imageSize, patchSize: arch.patchSize)
        matmulForward(at(plan.patchTokens), at(plan.patches), params.pointer("patch_embed.proj.weight"),
                      params.pointer("patch_embed.proj.bias"), rows: batch * n, inDim: arch.patchValues, outDim: d)
        tokenEmbedForward(x, at(plan.patchTokens), classToken: arch.classToken ? params.pointer("cls_token") : nil,
                          posEmbed: params.pointer("pos_embed"), batch: batch, patches: n, width: d)

        for blockIndex in model.layerMap {
            let block = params.block(blockIndex)
            // x = x + proj(attention(qkv(norm1(x))))
            layerNormForward(ln, mean: mean, rstd: rstd, x, weight: block.norm1Weight, bias: block.norm1Bias,
                             rows: rows, cols: d, eps: eps)
            matmulForward(qkv, ln, block.qkvWeight, block.qkvBias, rows: rows, inDim: d, outDim: 3 * d)
            attentionForward(attn, probs: at(plan.probs), qkv, batch: batch, tokens: t, heads: arch.heads,
                             headDim: arch.headWidth)
            matmulForward(ln, attn, block.projWeight, block.projBias, rows: rows, inDim: d, outDim: d)
            residualForward(x, x, ln, count: rows * d)
            // x = x + fc2(gelu(fc1(norm2(x))))
            layerNormForward(ln, mean: mean, rstd: rstd, x, weight: block.norm2Weight, bias: block.norm2Bias,
                             rows: rows, cols: d, eps: eps)
            matmulForward(hidden, ln, block.fc1Weight, block.fc1Bias, rows: rows, inDim: d, outDim: arch.mlpWidth)
            geluForward(hidden, hidden, count: rows * arch.mlpWidth)
            matmulForward(ln, hidden, block.fc2Weight, block.fc2Bias, rows: rows, inDim: arch.mlpWidth, outDim: d)
            residualForward(x, x, ln, count: rows * d)
        }

        let pooled = at(plan.pooled), features = at(plan.features)
        let normWeight = params.pointer("norm.weight"), normBias = params.pointer("norm.bias")
        switch arch.pooling {
        case .avgNormFirst:
            layerNormForward(ln, mean: mean, rstd: rstd, x, weight: normWeight, bias: normBias, rows: rows, cols: d, eps: eps)
            meanPoolForward(features, ln, batch: batch, tokens: t, width: d, skip: prefix)
        case .avg:
            meanPoolForward(pooled, x, batch: batch, tokens: t, width: d, skip: prefix)
            layerNormForward(features, mean: mean, rstd: rstd, pooled, weight: normWeight, bias: normBias,
                             rows: batch, cols: d, eps: eps)
        case .cls:
            classPoolForward(pooled, x, batch: batch, tokens: t, width: d)
            layerNormForward(features, mean: mean, rstd: rstd, pooled, weight: normWeight, bias: normBias,
                             rows: batch, cols: d, eps: eps)
        }
        matmulForward(at(plan.logits), features, params.pointer("head.weight"), params.pointer("head.bias"),
                      rows: batch, inDim: d, outDim: arch.classes)
    }
}

/// Offsets of the forward pass's activations in one flat buffer, sized for `batch` images.
/// B = batch, T = tokens, N = patches, d = width, h = MLP width, H = heads, P = C·p².
struct ActivationPlan {
    let patches: Int      // [B, N, P]
    let patchTokens: Int  // [B, N, d]
    let x: Int            // [B, T, d] the residual stream
    let ln: Int           // [B, T, d] LayerNorm output, then proj/fc2 output
    let qkv: Int          // [B, T, 3d]
    let probs: Int        // [B, H, T, T]
    let attn: Int         // [B, T, d]
    let hidden: Int       // [B, T, h]
    let mean: Int         // [B·T]
    let rstd: Int         // [B·T]
    let pooled: Int       // [B, d]
    let features: Int     // [B, d] what the head reads
    let logits: Int       // [B, classes]
    let count: Int

    init(architecture a: ViTArchitecture, batch b: Int) {
        let t = a.tokenCount, d = a.width
        var next = 0
        func take(_ n: Int) -> Int { defer { next += n }; return next }
        patches = take(b * a.patchCount * a.patchValues)
        patchTokens = take(b * a.patchCount * d)
        x = take(b * t * d)
        ln = take(b * t * d)
        qkv = take(b * t * 3 * d)
        probs = take(b * a.heads * t * t)
        attn = take(b * t * d)
        hidden = take(b * t * a.mlpWidth)
        mean = take(b * t)
        rstd = take(b * t)
        pooled = take(b * d)
        features = take(b * d)
        logits = take(b * a.classes)
        count = next
    }
}
