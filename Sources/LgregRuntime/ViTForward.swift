import LgregArchitecture

/// Where one virtual layer's forward pass writes its activations. Shapes for B images of T tokens, width d,
/// MLP width h, H heads; rows = B·T.
///
/// For inference every layer's slots point into the same few buffers (a layer's output overwrites the last
/// one's); for training each layer has its own, which the backward pass reads.
public struct BlockActivations {
    /// norm1's output [rows, d], with its per-row mean and 1/√(var + eps) [rows].
    public let ln1, ln1Mean, ln1Rstd: UnsafeMutablePointer<Float>
    /// The fused qkv projection [rows, 3d].
    public let qkv: UnsafeMutablePointer<Float>
    /// Attention probabilities [B, H, T, T].
    public let probs: UnsafeMutablePointer<Float>
    /// Attention output, heads concatenated [rows, d] (proj's input).
    public let attn: UnsafeMutablePointer<Float>
    /// The residual stream after the attention branch [rows, d].
    public let mid: UnsafeMutablePointer<Float>
    /// norm2's output [rows, d], with its per-row mean and 1/√(var + eps) [rows].
    public let ln2, ln2Mean, ln2Rstd: UnsafeMutablePointer<Float>
    /// fc1's output before GELU [rows, h], and after it [rows, h].
    public let fc1, gelu: UnsafeMutablePointer<Float>
}

/// The activation memory of a ViT forward pass for up to `batchCapacity` images, in one zero-filled allocation.
///
/// `keepingEveryLayer: false` (inference) plans one set of buffers that every layer reuses — a layer's norm,
/// projection and MLP outputs share slots, the residual stream is updated in place — so memory does not grow
/// with depth. `keepingEveryLayer: true` (training) gives each virtual layer its own `BlockActivations` and
/// keeps the residual stream at every layer boundary, which is what the backward pass reads.
public final class ViTActivations {
    /// Flattened patches [B, N, C·p²] and their embeddings [B, N, d].
    public let patches, patchTokens: UnsafeMutablePointer<Float>
    /// residual[l] is virtual layer l's input [B, T, d]; residual[depth] is the blocks' output.
    public let residual: [UnsafeMutablePointer<Float>]
    /// Virtual layer l's saved values.
    public let layers: [BlockActivations]
    /// A residual branch's output (proj or fc2) before drop-path and the residual add [B, T, d].
    public let branch: UnsafeMutablePointer<Float>
    /// The final norm over every token [B, T, d] (`avgNormFirst` only), and that norm's mean and 1/√(var + eps)
    /// per row ([B·T] for `avgNormFirst`, [B] otherwise).
    public let headNorm, headMean, headRstd: UnsafeMutablePointer<Float>
    /// The pooled tokens before the final norm [B, d] (`avg`, `cls`).
    public let pooled: UnsafeMutablePointer<Float>
    /// What the head reads [B, d], and the logits [B, classes].
    public let features, logits: UnsafeMutablePointer<Float>
    /// Floats allocated.
    public let count: Int
    /// The most images one forward pass takes.
    public let batchCapacity: Int
    private let storage: UnsafeMutablePointer<Float>

    public init(architecture a: ViTArchitecture, depth: Int, batchCapacity b: Int, keepingEveryLayer: Bool) {
        let rows = b * a.tokenCount
        let d = a.width
        let h = a.mlpWidth
        var offsets: [Int] = []
        var next = 0
        /// Reserves `n` floats and returns the slot's index in `offsets`.
        func take(_ n: Int) -> Int {
            offsets.append(next)
            next += n
            return offsets.count - 1
        }
        func takeLayer() -> [Int] {
            // ln1, ln1Mean, ln1Rstd, qkv, probs, attn, mid, ln2, ln2Mean, ln2Rstd, fc1, gelu
            [
                take(rows * d), take(rows), take(rows), take(rows * 3 * d),
                take(b * a.heads * a.tokenCount * a.tokenCount),
                take(rows * d), take(rows * d), take(rows * d), take(rows), take(rows), take(rows * h), take(rows * h),
            ]
        }
        let patchSlot = take(b * a.patchCount * a.patchValues)
        let patchTokenSlot = take(b * a.patchCount * d)
        let residualSlots: [Int]
        let layerSlots: [[Int]]
        let branchSlot: Int
        let headNormSlot: Int
        let headMeanSlot: Int
        let headRstdSlot: Int
        if keepingEveryLayer {
            residualSlots = (0...depth).map { _ in take(rows * d) }
            layerSlots = (0..<depth).map { _ in takeLayer() }
            branchSlot = take(rows * d)
            (headNormSlot, headMeanSlot, headRstdSlot) = (take(rows * d), take(rows), take(rows))
        } else {
            // x: the residual stream, updated in place (mid = x = out).
            // ln: norm1 and norm2 outputs, the branch output and the final norm, each dead when the next is written.
            // hidden: fc1's output, GELU applied in place. One mean/rstd pair for every norm.
            let x = take(rows * d)
            let ln = take(rows * d)
            let qkv = take(rows * 3 * d)
            let probs = take(b * a.heads * a.tokenCount * a.tokenCount)
            let attn = take(rows * d)
            let hidden = take(rows * h)
            let mean = take(rows)
            let rstd = take(rows)
            residualSlots = Array(repeating: x, count: depth + 1)
            layerSlots = Array(
                repeating: [ln, mean, rstd, qkv, probs, attn, x, ln, mean, rstd, hidden, hidden], count: depth)
            (branchSlot, headNormSlot, headMeanSlot, headRstdSlot) = (ln, ln, mean, rstd)
        }
        let pooledSlot = take(b * d)
        let featureSlot = take(b * d)
        let logitSlot = take(b * a.classes)

        count = next
        batchCapacity = b
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0, count: max(count, 1))
        let base = storage
        func at(_ slot: Int) -> UnsafeMutablePointer<Float> { base + offsets[slot] }
        patches = at(patchSlot)
        patchTokens = at(patchTokenSlot)
        residual = residualSlots.map(at)
        layers = layerSlots.map { s in
            BlockActivations(
                ln1: at(s[0]), ln1Mean: at(s[1]), ln1Rstd: at(s[2]), qkv: at(s[3]), probs: at(s[4]), attn: at(s[5]),
                mid: at(s[6]), ln2: at(s[7]), ln2Mean: at(s[8]), ln2Rstd: at(s[9]), fc1: at(s[10]), gelu: at(s[11]))
        }
        branch = at(branchSlot)
        headNorm = at(headNormSlot)
        headMean = at(headMeanSlot)
        headRstd = at(headRstdSlot)
        pooled = at(pooledSlot)
        features = at(featureSlot)
        logits = at(logitSlot)
    }

    deinit { storage.deallocate() }
}

/// The ViT forward pass, timm's `VisionTransformer.forward`, on the runtime's kernels; inference and training
/// both run it: `vitEmbeddingForward`, `vitBlockForward` for each virtual layer, `vitHeadForward`.
///
/// - Parameters:
///   - images: [batch, C, H, W] normalized floats
///   - shared: the parameters outside the blocks (patch embedding, class token, positions, final norm, head)
///   - blocks: the weights virtual layer l runs (a stored block under a layer map, or TLEG's θ_l)
///   - activations: where every activation goes (see `ViTActivations`); the logits land in `activations.logits`
///   - pathMasks: drop-path multipliers per virtual layer, `[l][branch · batch + b]` (branch 0: attention,
///     1: MLP), or empty for none
public func vitForward(
    images: UnsafePointer<Float>, batch: Int, architecture arch: ViTArchitecture, shared: ViTParameters,
    blocks: [BlockParameters], activations acts: ViTActivations, pathMasks: [[Float]] = []
) {
    precondition(batch <= acts.batchCapacity, "vitForward: batch \(batch) exceeds capacity \(acts.batchCapacity)")
    precondition(
        blocks.count == acts.layers.count, "vitForward: \(blocks.count) blocks for \(acts.layers.count) layers")
    RuntimeProfile.measure(.embeddingAndHead) {
        vitEmbeddingForward(images: images, batch: batch, architecture: arch, shared: shared, activations: acts)
    }
    for (l, w) in blocks.enumerated() {
        vitBlockForward(
            acts.residual[l + 1], acts.residual[l], weights: w, saved: acts.layers[l], branch: acts.branch,
            batch: batch, architecture: arch, pathMask: pathMasks.isEmpty ? nil : pathMasks[l])
    }
    RuntimeProfile.measure(.embeddingAndHead) {
        vitHeadForward(
            acts.residual[blocks.count], batch: batch, architecture: arch, shared: shared, activations: acts)
    }
}

/// Patch embedding as one GEMM over every patch of every image, then class token and positions:
/// `activations.residual[0]` = [cls;] patches·Wᵀ + b + pos.
public func vitEmbeddingForward(
    images: UnsafePointer<Float>, batch: Int, architecture arch: ViTArchitecture, shared: ViTParameters,
    activations acts: ViTActivations
) {
    precondition(
        batch <= acts.batchCapacity, "vitEmbeddingForward: batch \(batch) exceeds capacity \(acts.batchCapacity)")
    let d = arch.width
    let n = arch.patchCount
    patchifyForward(
        acts.patches, images, batch: batch, channels: arch.inChannels, imageSize: arch.imageSize,
        patchSize: arch.patchSize)
    matmulForward(
        acts.patchTokens, acts.patches, shared.pointer("patch_embed.proj.weight"),
        shared.pointer("patch_embed.proj.bias"),
        rows: batch * n, inDim: arch.patchValues, outDim: d)
    tokenEmbedForward(
        acts.residual[0], acts.patchTokens,
        classToken: arch.classToken ? UnsafePointer(shared.pointer("cls_token")) : nil,
        posEmbed: shared.pointer("pos_embed"), batch: batch, patches: n, width: d)
}

/// One transformer block, pre-norm: mid = x + drop(proj(attention(qkv(norm1(x))))), then
/// out = mid + drop(fc2(gelu(fc1(norm2(mid))))). `out` may be `x` (inference updates the stream in place).
///
/// Without drop-path each residual branch is accumulated straight onto the stream: mid = x + b_proj
/// (`biasResidualForward`), then mid += attn · W_projᵀ (`matmulAccumulate`, a GEMM with β = 1), and likewise for
/// fc2; fc1's bias is added in the GELU's pass (`biasGeluForward`). In float rounding this is
/// (x + b) + Σ instead of x + (b + Σ); `branch` is then unused.
///
/// - Parameters:
///   - saved: where the block's activations go (the backward pass reads them when training)
///   - branch: [B, T, d] scratch for a branch's output before drop-path and the residual add
///   - pathMask: drop-path multipliers `[branch · batch + b]` (0: attention, 1: MLP), or nil for none
public func vitBlockForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weights w: BlockParameters,
    saved a: BlockActivations, branch: UnsafeMutablePointer<Float>, batch: Int,
    architecture arch: ViTArchitecture, pathMask: [Float]? = nil
) {
    let d = arch.width
    let t = arch.tokenCount
    let h = arch.mlpWidth
    let rows = batch * t
    let eps = Float(arch.layerNormEps)
    RuntimeProfile.measure(.layerNorm) {
        layerNormForward(
            a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, x, weight: w.norm1Weight, bias: w.norm1Bias, rows: rows,
            cols: d, eps: eps)
    }
    RuntimeProfile.measure(.qkvGEMM) {
        matmulForward(a.qkv, a.ln1, w.qkvWeight, w.qkvBias, rows: rows, inDim: d, outDim: 3 * d)
    }
    RuntimeProfile.measure(.attention) {
        attentionForward(
            a.attn, probs: a.probs, a.qkv, batch: batch, tokens: t, heads: arch.heads, headDim: arch.headWidth)
    }
    /// stream = residual + drop(inp · Wᵀ + b): accumulated in place without drop-path, else through `branch`.
    func residualBranch(
        _ stream: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>, _ inp: UnsafePointer<Float>,
        _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, inDim: Int, phase: RuntimeProfile.Phase,
        keep: ArraySlice<Float>?
    ) {
        if let keep {
            RuntimeProfile.measure(phase) {
                matmulForward(branch, inp, weight, bias, rows: rows, inDim: inDim, outDim: d)
            }
            RuntimeProfile.measure(.residual) {
                dropPathForward(branch, keep: keep, batch: batch, span: t * d)
                residualForward(stream, residual, branch, count: rows * d)
            }
        } else {
            RuntimeProfile.measure(.residual) { biasResidualForward(stream, residual, bias: bias, rows: rows, cols: d) }
            RuntimeProfile.measure(phase) { matmulAccumulate(stream, inp, weight, rows: rows, inDim: inDim, outDim: d) }
        }
    }
    residualBranch(a.mid, x, a.attn, w.projWeight, w.projBias, inDim: d, phase: .projGEMM, keep: pathMask?[..<batch])
    RuntimeProfile.measure(.layerNorm) {
        layerNormForward(
            a.ln2, mean: a.ln2Mean, rstd: a.ln2Rstd, a.mid, weight: w.norm2Weight, bias: w.norm2Bias, rows: rows,
            cols: d, eps: eps)
    }
    RuntimeProfile.measure(.fc1GEMM) { matmulForward(a.fc1, a.ln2, w.fc1Weight, nil, rows: rows, inDim: d, outDim: h) }
    RuntimeProfile.measure(.biasGELU) {
        biasGeluForward(a.gelu, preActivation: a.fc1, bias: w.fc1Bias, rows: rows, cols: h)
    }
    residualBranch(out, a.mid, a.gelu, w.fc2Weight, w.fc2Bias, inDim: h, phase: .fc2GEMM, keep: pathMask?[batch...])
}

/// The final norm, pooling and head on the blocks' output `final` [B, T, d]: `activations.logits` [B, classes].
/// avgNormFirst: norm every token → mean → head; avg: mean → norm → head; cls: class token → norm → head.
public func vitHeadForward(
    _ final: UnsafePointer<Float>, batch: Int, architecture arch: ViTArchitecture, shared: ViTParameters,
    activations acts: ViTActivations
) {
    let d = arch.width
    let t = arch.tokenCount
    let rows = batch * t
    let prefix = arch.classToken ? 1 : 0
    let eps = Float(arch.layerNormEps)
    let normWeight = shared.pointer("norm.weight")
    let normBias = shared.pointer("norm.bias")
    switch arch.pooling {
    case .avgNormFirst:
        layerNormForward(
            acts.headNorm, mean: acts.headMean, rstd: acts.headRstd, final, weight: normWeight, bias: normBias,
            rows: rows, cols: d, eps: eps)
        meanPoolForward(acts.features, acts.headNorm, batch: batch, tokens: t, width: d, skip: prefix)
    case .avg:
        meanPoolForward(acts.pooled, final, batch: batch, tokens: t, width: d, skip: prefix)
        layerNormForward(
            acts.features, mean: acts.headMean, rstd: acts.headRstd, acts.pooled, weight: normWeight, bias: normBias,
            rows: batch, cols: d, eps: eps)
    case .cls:  // the norm is per token, so normalizing only the class token equals timm's norm → select
        classPoolForward(acts.pooled, final, batch: batch, tokens: t, width: d)
        layerNormForward(
            acts.features, mean: acts.headMean, rstd: acts.headRstd, acts.pooled, weight: normWeight, bias: normBias,
            rows: batch, cols: d, eps: eps)
    }
    matmulForward(
        acts.logits, acts.features, shared.pointer("head.weight"), shared.pointer("head.bias"),
        rows: batch, inDim: d, outDim: arch.classes)
}
