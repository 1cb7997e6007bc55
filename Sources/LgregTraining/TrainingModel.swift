import LgregArchitecture
import LgregCore
import LgregRuntime

/// A ViT whose L virtual layers draw their weights from M stored layers (plain, SWS or TLEG), with a forward
/// pass on the runtime's kernels that keeps every activation the backward pass needs, and that backward pass.
///
/// Parameters and gradients are flat buffers laid out by `ParameterLayout`; `backward` accumulates, so call
/// `zeroGradients()` first (the explicit zero-grad). Activations are planned once for `batchCapacity` images.
public final class TrainingModel {
    public let layout: ParameterLayout
    public let mode: TrainingMode
    /// Virtual layers per stored layer (TLEG: one stage of L layers).
    public let schedule: StageSchedule
    /// The largest batch `forward` accepts.
    public let batchCapacity: Int
    /// Parameters, laid out by `layout` (the runtime's flat parameter buffer).
    public let parameters: ViTParameters
    /// Gradients of the last backward pass, same layout.
    public let gradients: FloatBuffer

    private var arch: ViTArchitecture { layout.architecture }
    private let depth: Int
    private let stageOfLayer: [Int]
    // TLEG: θ_A + (l/L)·θ_B materialized as an L-block model, and a one-block model's gradient scratch.
    private let tlegWeights: ViTParameters?
    private let tlegGradient: ViTParameters?
    private let acts: Activations
    private let grads: GradientScratch
    /// Drop-path multipliers of the last training forward: [L][2][batch] (0 or 1/(1 − rate)).
    private var pathMasks: [[Float]] = []
    private var lastBatch = 0

    /// - Parameters:
    ///   - schedule: for `plain`, L ones; for `sws`, the stage schedule; for `tleg`, a single stage of L layers.
    public init(architecture: ViTArchitecture, mode: TrainingMode, schedule: StageSchedule, batchCapacity: Int) {
        self.mode = mode
        self.schedule = schedule
        self.batchCapacity = batchCapacity
        depth = schedule.depth
        stageOfLayer = schedule.stageOfLayer
        layout = ParameterLayout(architecture: architecture, blockCount: mode == .tleg ? 2 : schedule.stageCount)
        parameters = ViTParameters(layout: layout)
        gradients = FloatBuffer(count: layout.count)
        tlegWeights = mode == .tleg ? ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: schedule.depth)) : nil
        tlegGradient = mode == .tleg ? ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: 1)) : nil
        acts = Activations(architecture, depth: schedule.depth, batch: batchCapacity)
        grads = GradientScratch(architecture, batch: batchCapacity)
    }

    /// Pointer to a named tensor's parameters.
    public func parameter(_ name: String) -> UnsafeMutablePointer<Float> { parameters.pointer(name) }
    /// Pointer to a named tensor's gradient.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients.pointer + layout.offset(name) }

    /// The explicit zero-grad.
    public func zeroGradients() { gradients.zero() }

    /// The logits [batch, classes] of the last forward pass.
    public var logits: UnsafeMutablePointer<Float> { acts.logits.pointer }

    /// TLEG's coefficient of θ_B at virtual layer l: l / L.
    public func tlegFraction(layer: Int) -> Float { Float(layer) / Float(depth) }

    // MARK: Forward

    /// Runs `images` ([batch, C, H, W]) through the model, leaving the logits in `logits`.
    /// - Parameter dropPath: per virtual layer drop probabilities with the generator that draws the masks, or nil
    ///   for none (evaluation).
    public func forward(images: UnsafePointer<Float>, batch: Int, dropPath: (rates: [Float], rng: SplitMix64)? = nil) {
        precondition(batch <= batchCapacity, "TrainingModel.forward: batch \(batch) exceeds capacity \(batchCapacity)")
        lastBatch = batch
        let d = arch.width, n = arch.patchCount, t = arch.tokenCount, h = arch.mlpWidth, rows = batch * t
        let eps = Float(arch.layerNormEps)
        materializeTLEG()
        drawPathMasks(dropPath, batch: batch)

        // Patch embedding as one GEMM over unfolded patches, then class token and position embedding.
        patchifyForward(acts.patches.pointer, images, batch: batch, channels: arch.inChannels, imageSize: arch.imageSize, patchSize: arch.patchSize)
        matmulForward(acts.patchTokens.pointer, acts.patches.pointer, parameter("patch_embed.proj.weight"), parameter("patch_embed.proj.bias"),
                      rows: batch * n, inDim: arch.patchValues, outDim: d)
        tokenEmbedForward(acts.residual[0].pointer, acts.patchTokens.pointer, classToken: arch.classToken ? UnsafePointer(parameter("cls_token")) : nil,
                          posEmbed: parameter("pos_embed"), batch: batch, patches: n, width: d)

        for l in 0..<depth {
            let w = blockWeights(layer: l), a = acts.layers[l]
            let x = acts.residual[l].pointer, out = acts.residual[l + 1].pointer
            // x_mid = x + drop(proj(attn(qkv(norm1(x)))))
            layerNormForward(a.ln1.pointer, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, x, weight: w.norm1Weight, bias: w.norm1Bias, rows: rows, cols: d, eps: eps)
            matmulForward(a.qkv.pointer, a.ln1.pointer, w.qkvWeight, w.qkvBias, rows: rows, inDim: d, outDim: 3 * d)
            attentionForward(a.attn.pointer, probs: a.probs.pointer, a.qkv.pointer, batch: batch, tokens: t, heads: arch.heads, headDim: arch.headWidth)
            matmulForward(acts.branch.pointer, a.attn.pointer, w.projWeight, w.projBias, rows: rows, inDim: d, outDim: d)
            applyPathMask(layer: l, branch: 0, batch: batch)
            residualForward(a.mid.pointer, x, acts.branch.pointer, count: rows * d)
            // out = x_mid + drop(fc2(gelu(fc1(norm2(x_mid)))))
            layerNormForward(a.ln2.pointer, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, a.mid.pointer, weight: w.norm2Weight, bias: w.norm2Bias, rows: rows, cols: d, eps: eps)
            matmulForward(a.fc1.pointer, a.ln2.pointer, w.fc1Weight, w.fc1Bias, rows: rows, inDim: d, outDim: h)
            geluForward(a.gelu.pointer, a.fc1.pointer, count: rows * h)
            matmulForward(acts.branch.pointer, a.gelu.pointer, w.fc2Weight, w.fc2Bias, rows: rows, inDim: h, outDim: d)
            applyPathMask(layer: l, branch: 1, batch: batch)
            residualForward(out, a.mid.pointer, acts.branch.pointer, count: rows * d)
        }

        let final = acts.residual[depth].pointer
        let normW = parameter("norm.weight"), normB = parameter("norm.bias")
        switch arch.pooling {
        case .avgNormFirst: // norm every token → mean → head
            layerNormForward(acts.headNorm.pointer, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, final, weight: normW, bias: normB, rows: rows, cols: d, eps: eps)
            meanPoolForward(acts.pooled.pointer, acts.headNorm.pointer, batch: batch, tokens: t, width: d, skip: arch.classToken ? 1 : 0)
            acts.headInput.pointer.update(from: acts.pooled.pointer, count: batch * d)
        case .avg: // mean → norm → head
            meanPoolForward(acts.pooled.pointer, final, batch: batch, tokens: t, width: d, skip: arch.classToken ? 1 : 0)
            layerNormForward(acts.headInput.pointer, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, acts.pooled.pointer, weight: normW, bias: normB, rows: batch, cols: d, eps: eps)
        case .cls: // norm is per token, so normalizing only the class token equals timm's norm → select
            classPoolForward(acts.pooled.pointer, final, batch: batch, tokens: t, width: d)
            layerNormForward(acts.headInput.pointer, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, acts.pooled.pointer, weight: normW, bias: normB, rows: batch, cols: d, eps: eps)
        }
        matmulForward(acts.logits.pointer, acts.headInput.pointer, parameter("head.weight"), parameter("head.bias"), rows: batch, inDim: d, outDim: arch.classes)
    }

    // MARK: Backward

    /// Accumulates into `gradients` the gradient of the loss whose derivative with respect to the last forward's
    /// logits is `dlogits` ([batch, classes]).
    public func backward(dlogits: UnsafePointer<Float>) {
        let batch = lastBatch
        let d = arch.width, n = arch.patchCount, t = arch.tokenCount, h = arch.mlpWidth, rows = batch * t
        let dres = grads.residual.pointer
        let normW = parameter("norm.weight")
        let dNormW = gradient("norm.weight"), dNormB = gradient("norm.bias")

        grads.headInput.zero()
        matmulBackward(dinp: grads.headInput.pointer, dweight: gradient("head.weight"), dbias: gradient("head.bias"),
                       dout: dlogits, inp: acts.headInput.pointer, weight: parameter("head.weight"), rows: batch, inFeatures: d, outFeatures: arch.classes)
        grads.residual.zero()
        switch arch.pooling {
        case .avgNormFirst:
            grads.tokens.zero()
            meanPoolBackward(dx: grads.tokens.pointer, dpooled: grads.headInput.pointer, batch: batch, tokens: t, first: arch.classToken ? 1 : 0, width: d)
            layerNormBackward(dinp: dres, dweight: dNormW, dbias: dNormB, dout: grads.tokens.pointer, inp: acts.residual[depth].pointer,
                              weight: normW, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, rows: rows, width: d)
        case .avg:
            grads.pooled.zero()
            layerNormBackward(dinp: grads.pooled.pointer, dweight: dNormW, dbias: dNormB, dout: grads.headInput.pointer, inp: acts.pooled.pointer,
                              weight: normW, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, rows: batch, width: d)
            meanPoolBackward(dx: dres, dpooled: grads.pooled.pointer, batch: batch, tokens: t, first: arch.classToken ? 1 : 0, width: d)
        case .cls:
            grads.pooled.zero()
            layerNormBackward(dinp: grads.pooled.pointer, dweight: dNormW, dbias: dNormB, dout: grads.headInput.pointer, inp: acts.pooled.pointer,
                              weight: normW, mean: acts.headMean.pointer, rstd: acts.headRstd.pointer, rows: batch, width: d)
            // Forward: pooled[b] = x[b, 0].
            for b in 0..<batch { (dres + b * t * d).update(from: grads.pooled.pointer + b * d, count: d) }
        }

        for l in stride(from: depth - 1, through: 0, by: -1) {
            let w = blockWeights(layer: l), a = acts.layers[l]
            let g: BlockParameters
            if let tlegGradient {
                tlegGradient.storage.update(repeating: 0, count: tlegGradient.layout.count)
                g = tlegGradient.block(0)
            } else {
                g = layout.block(stageOfLayer[l], in: gradients.pointer)
            }
            // out = x_mid + drop(fc2(gelu(fc1(norm2(x_mid))))): dres flows to x_mid unchanged and, masked, into the branch.
            maskedBranchGradient(layer: l, branch: 1, batch: batch)
            grads.hidden.zero()
            matmulBackward(dinp: grads.hidden.pointer, dweight: g.fc2Weight, dbias: g.fc2Bias, dout: grads.branch.pointer, inp: a.gelu.pointer,
                           weight: w.fc2Weight, rows: rows, inFeatures: h, outFeatures: d)
            grads.hiddenPre.zero()
            geluBackward(dinp: grads.hiddenPre.pointer, dout: grads.hidden.pointer, inp: a.fc1.pointer, count: rows * h)
            grads.tokens.zero()
            matmulBackward(dinp: grads.tokens.pointer, dweight: g.fc1Weight, dbias: g.fc1Bias, dout: grads.hiddenPre.pointer, inp: a.ln2.pointer,
                           weight: w.fc1Weight, rows: rows, inFeatures: d, outFeatures: h)
            layerNormBackward(dinp: dres, dweight: g.norm2Weight, dbias: g.norm2Bias, dout: grads.tokens.pointer, inp: a.mid.pointer,
                              weight: w.norm2Weight, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, rows: rows, width: d)
            // x_mid = x + drop(proj(attn(qkv(norm1(x))))).
            maskedBranchGradient(layer: l, branch: 0, batch: batch)
            grads.tokens.zero()
            matmulBackward(dinp: grads.tokens.pointer, dweight: g.projWeight, dbias: g.projBias, dout: grads.branch.pointer, inp: a.attn.pointer,
                           weight: w.projWeight, rows: rows, inFeatures: d, outFeatures: d)
            grads.qkv.zero()
            attentionBackward(dqkv: grads.qkv.pointer, dout: grads.tokens.pointer, qkv: a.qkv.pointer, probs: a.probs.pointer,
                              scratch: grads.attentionScratch.pointer, batch: batch, tokens: t, width: d, heads: arch.heads)
            grads.tokens.zero()
            matmulBackward(dinp: grads.tokens.pointer, dweight: g.qkvWeight, dbias: g.qkvBias, dout: grads.qkv.pointer, inp: a.ln1.pointer,
                           weight: w.qkvWeight, rows: rows, inFeatures: d, outFeatures: 3 * d)
            layerNormBackward(dinp: dres, dweight: g.norm1Weight, dbias: g.norm1Bias, dout: grads.tokens.pointer, inp: acts.residual[l].pointer,
                              weight: w.norm1Weight, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, rows: rows, width: d)
            if let tlegGradient {
                // θ_l = θ_A + (l/L)·θ_B  ⇒  dθ_A += dθ_l, dθ_B += (l/L)·dθ_l.
                let fraction = tlegFraction(layer: l)
                let dA = gradients.pointer + layout.blockStart(0), dB = gradients.pointer + layout.blockStart(1)
                let dTheta = tlegGradient.storage + tlegGradient.layout.blockStart(0)
                for i in 0..<layout.blockSize {
                    dA[i] += dTheta[i]
                    dB[i] += fraction * dTheta[i]
                }
            }
        }

        grads.patchTokens.zero()
        tokenEmbeddingBackward(dpatches: grads.patchTokens.pointer, dpos: gradient("pos_embed"), dcls: arch.classToken ? gradient("cls_token") : nil,
                               dx: dres, batch: batch, patches: n, width: d)
        matmulBackward(dinp: nil, dweight: gradient("patch_embed.proj.weight"), dbias: gradient("patch_embed.proj.bias"), dout: grads.patchTokens.pointer,
                       inp: acts.patches.pointer, weight: parameter("patch_embed.proj.weight"), rows: batch * n, inFeatures: arch.patchValues, outFeatures: d)
    }

    /// The model as the runtime runs it for inference: the stored layers under the schedule's layer map
    /// (no copy), or for TLEG the materialized θ_l of every layer.
    public func inferenceModel() throws -> ViTModel {
        if let tlegWeights {
            materializeTLEG()
            return try ViTModel(parameters: tlegWeights)
        }
        return try ViTModel(parameters: parameters, layerMap: stageOfLayer)
    }

    // MARK: Weight sharing and drop-path

    /// The weights virtual layer l uses: its stage's stored block, or TLEG's materialized θ_l.
    private func blockWeights(layer l: Int) -> BlockParameters {
        if let tlegWeights { return tlegWeights.block(l) }
        return parameters.block(stageOfLayer[l])
    }

    /// θ_l = θ_A + (l/L)·θ_B for every virtual layer, and a copy of the shared tensors, so that `tlegWeights`
    /// is a complete L-block model (TLEG only).
    private func materializeTLEG() {
        guard let tlegWeights else { return }
        for spec in layout.architecture.sharedTensorSpecs {
            tlegWeights.pointer(spec.name).update(from: parameters.pointer(spec.name), count: spec.elementCount)
        }
        let a = parameters.storage + layout.blockStart(0), b = parameters.storage + layout.blockStart(1)
        for l in 0..<depth {
            let fraction = tlegFraction(layer: l), out = tlegWeights.storage + tlegWeights.layout.blockStart(l)
            for i in 0..<layout.blockSize { out[i] = a[i] + fraction * b[i] }
        }
    }

    /// Draws per-image keep multipliers: 0 with probability r_l, else 1/(1 − r_l) (timm's `drop_path`).
    private func drawPathMasks(_ dropPath: (rates: [Float], rng: SplitMix64)?, batch: Int) {
        guard let dropPath, dropPath.rates.contains(where: { $0 > 0 }) else { pathMasks = []; return }
        let rates = dropPath.rates
        var rng = dropPath.rng
        pathMasks = (0..<depth).map { l in
            let keep = 1 - rates[l]
            return (0..<(2 * batch)).map { _ in rng.nextUnitFloat() < keep ? 1 / keep : 0 }
        }
    }

    /// Forward: branch[b] ← mask[l][branch][b] · branch[b].
    private func applyPathMask(layer: Int, branch: Int, batch: Int) {
        guard !pathMasks.isEmpty else { return }
        let span = arch.tokenCount * arch.width
        for b in 0..<batch {
            let m = pathMasks[layer][branch * batch + b], row = acts.branch.pointer + b * span
            for i in 0..<span { row[i] *= m }
        }
    }

    /// Backward of the masked residual branch: dbranch[b] = mask[l][branch][b] · dres[b].
    private func maskedBranchGradient(layer: Int, branch: Int, batch: Int) {
        let span = arch.tokenCount * arch.width
        grads.branch.pointer.update(from: grads.residual.pointer, count: batch * span)
        guard !pathMasks.isEmpty else { return }
        for b in 0..<batch {
            let m = pathMasks[layer][branch * batch + b], row = grads.branch.pointer + b * span
            for i in 0..<span { row[i] *= m }
        }
    }
}

/// Activations kept by the forward pass for the backward pass (shapes for the batch capacity B, T tokens).
private final class Activations {
    /// One virtual layer's saved values.
    final class Layer {
        let ln1, ln1Mean, ln1Rstd, qkv, probs, attn, mid, ln2, ln2Mean, ln2Rstd, fc1, gelu: FloatBuffer
        init(_ a: ViTArchitecture, batch: Int) {
            let rows = batch * a.tokenCount, d = a.width, h = a.mlpWidth
            ln1 = FloatBuffer(count: rows * d)            // [B, T, d]
            ln1Mean = FloatBuffer(count: rows)            // [B, T]
            ln1Rstd = FloatBuffer(count: rows)            // [B, T]
            qkv = FloatBuffer(count: rows * 3 * d)        // [B, T, 3d]
            probs = FloatBuffer(count: batch * a.heads * a.tokenCount * a.tokenCount) // [B, H, T, T]
            attn = FloatBuffer(count: rows * d)           // [B, T, d]
            mid = FloatBuffer(count: rows * d)            // [B, T, d] residual after attention
            ln2 = FloatBuffer(count: rows * d)            // [B, T, d]
            ln2Mean = FloatBuffer(count: rows)            // [B, T]
            ln2Rstd = FloatBuffer(count: rows)            // [B, T]
            fc1 = FloatBuffer(count: rows * h)            // [B, T, 4d] before GELU
            gelu = FloatBuffer(count: rows * h)           // [B, T, 4d]
        }
    }

    let patches, patchTokens, branch, headNorm, headMean, headRstd, pooled, headInput, logits: FloatBuffer
    /// residual[l] is the input of virtual layer l; residual[L] the blocks' output. [B, T, d] each.
    let residual: [FloatBuffer]
    let layers: [Layer]

    init(_ a: ViTArchitecture, depth: Int, batch: Int) {
        let rows = batch * a.tokenCount, d = a.width
        patches = FloatBuffer(count: batch * a.patchCount * a.patchValues) // [B, N, C·p²]
        patchTokens = FloatBuffer(count: batch * a.patchCount * d)         // [B, N, d]
        branch = FloatBuffer(count: rows * d)                              // [B, T, d] branch output before the residual add
        headNorm = FloatBuffer(count: rows * d)                            // [B, T, d] (avg-norm-first only)
        headMean = FloatBuffer(count: rows)                                // [B·T] or [B]
        headRstd = FloatBuffer(count: rows)
        pooled = FloatBuffer(count: batch * d)                             // [B, d]
        headInput = FloatBuffer(count: batch * d)                          // [B, d]
        logits = FloatBuffer(count: batch * a.classes)                     // [B, C]
        residual = (0...depth).map { _ in FloatBuffer(count: rows * d) }
        layers = (0..<depth).map { _ in Layer(a, batch: batch) }
    }
}

/// Gradient scratch reused by every layer of the backward pass.
private final class GradientScratch {
    let residual, branch, tokens, qkv, hidden, hiddenPre, attentionScratch, headInput, pooled, patchTokens: FloatBuffer

    init(_ a: ViTArchitecture, batch: Int) {
        let rows = batch * a.tokenCount, d = a.width
        residual = FloatBuffer(count: rows * d)       // dL/dx of the residual stream [B, T, d]
        branch = FloatBuffer(count: rows * d)         // masked branch gradient [B, T, d]
        tokens = FloatBuffer(count: rows * d)         // [B, T, d]
        qkv = FloatBuffer(count: rows * 3 * d)        // [B, T, 3d]
        hidden = FloatBuffer(count: rows * a.mlpWidth)    // [B, T, 4d] after GELU
        hiddenPre = FloatBuffer(count: rows * a.mlpWidth) // [B, T, 4d] before GELU
        attentionScratch = FloatBuffer(count: a.tokenCount * a.tokenCount) // [T, T]
        headInput = FloatBuffer(count: batch * d)     // [B, d]
        pooled = FloatBuffer(count: batch * d)        // [B, d]
        patchTokens = FloatBuffer(count: batch * a.patchCount * d) // [B, N, d]
    }
}
