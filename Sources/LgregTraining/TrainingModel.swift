import LgregArchitecture
import LgregArchive
import LgregCore
import LgregRuntime

/// A ViT whose L virtual layers draw their weights from M stored layers (plain, SWS or TLEG): the runtime's
/// forward pass (`vitForward`) keeping every activation the backward pass needs, and that backward pass.
///
/// Parameters and gradients are flat buffers laid out by `ParameterLayout`; `backward` accumulates, so call
/// `zeroGradients()` first (the explicit zero-grad). Activations are planned once for `batchCapacity` images.
public final class TrainingModel {
    public let layout: ParameterLayout
    public let mode: LearngeneManifest.Kind
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
    private let acts: ViTActivations
    /// The weights virtual layer l runs: its stage's stored block, or TLEG's materialized θ_l.
    private let layerWeights: [BlockParameters]
    private let grads: GradientScratch
    /// Drop-path multipliers of the last training forward: [L][2][batch] (0 or 1/(1 − rate)).
    private var pathMasks: [[Float]] = []
    private var lastBatch = 0

    /// - Parameters:
    ///   - schedule: for `plain`, L ones; for `sws`, the stage schedule; for `tleg`, a single stage of L layers.
    public init(
        architecture: ViTArchitecture, mode: LearngeneManifest.Kind, schedule: StageSchedule,
        batchCapacity: Int
    ) {
        self.mode = mode
        self.schedule = schedule
        self.batchCapacity = batchCapacity
        depth = schedule.depth
        stageOfLayer = schedule.stageOfLayer
        layout = ParameterLayout(architecture: architecture, blockCount: mode == .tleg ? 2 : schedule.stageCount)
        let parameters = ViTParameters(layout: layout)
        self.parameters = parameters
        gradients = FloatBuffer(count: layout.count)
        let tlegWeights =
            mode == .tleg
            ? ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: schedule.depth)) : nil
        self.tlegWeights = tlegWeights
        tlegGradient =
            mode == .tleg ? ViTParameters(layout: ParameterLayout(architecture: architecture, blockCount: 1)) : nil
        acts = ViTActivations(
            architecture: architecture, depth: schedule.depth, batchCapacity: batchCapacity, keepingEveryLayer: true)
        layerWeights = schedule.stageOfLayer.enumerated().map { l, stage in
            tlegWeights?.block(l) ?? parameters.block(stage)
        }
        grads = GradientScratch(architecture, batch: batchCapacity)
    }

    /// Pointer to a named tensor's parameters.
    public func parameter(_ name: String) -> UnsafeMutablePointer<Float> { parameters.pointer(name) }
    /// Pointer to a named tensor's gradient.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients.pointer + layout.offset(name) }

    /// The explicit zero-grad.
    public func zeroGradients() { gradients.zero() }

    /// The logits [batch, classes] of the last forward pass.
    public var logits: UnsafeMutablePointer<Float> { acts.logits }

    /// TLEG's coefficient of θ_B at virtual layer l: l / L.
    public func tlegFraction(layer: Int) -> Float { Float(layer) / Float(depth) }

    // MARK: Forward

    /// Runs `images` ([batch, C, H, W]) through the model, leaving the logits in `logits`.
    /// - Parameter dropPath: per virtual layer drop probabilities with the generator that draws the masks, or nil
    ///   for none (evaluation).
    public func forward(images: UnsafePointer<Float>, batch: Int, dropPath: (rates: [Float], rng: SplitMix64)? = nil) {
        precondition(batch <= batchCapacity, "TrainingModel.forward: batch \(batch) exceeds capacity \(batchCapacity)")
        lastBatch = batch
        materializeTLEG()
        drawPathMasks(dropPath, batch: batch)
        vitForward(
            images: images, batch: batch, architecture: arch, shared: parameters, blocks: layerWeights,
            activations: acts,
            pathMasks: pathMasks)
    }

    // MARK: Backward

    /// Accumulates into `gradients` the gradient of the loss whose derivative with respect to the last forward's
    /// logits is `dlogits` ([batch, classes]).
    public func backward(dlogits: UnsafePointer<Float>) {
        let batch = lastBatch
        let d = arch.width
        let n = arch.patchCount
        let t = arch.tokenCount
        let h = arch.mlpWidth
        let rows = batch * t
        let dres = grads.residual.pointer
        let normW = parameter("norm.weight")
        let dNormW = gradient("norm.weight")
        let dNormB = gradient("norm.bias")

        grads.headInput.zero()
        matmulBackward(
            dinp: grads.headInput.pointer, dweight: gradient("head.weight"), dbias: gradient("head.bias"),
            dout: dlogits, inp: acts.features, weight: parameter("head.weight"), rows: batch, inFeatures: d,
            outFeatures: arch.classes)
        grads.residual.zero()
        switch arch.pooling {
        case .avgNormFirst:
            grads.tokens.zero()
            meanPoolBackward(
                dx: grads.tokens.pointer, dpooled: grads.headInput.pointer, batch: batch, tokens: t,
                first: arch.classToken ? 1 : 0, width: d)
            layerNormBackward(
                dinp: dres, dweight: dNormW, dbias: dNormB, dout: grads.tokens.pointer, inp: acts.residual[depth],
                weight: normW, mean: acts.headMean, rstd: acts.headRstd, rows: rows, width: d)
        case .avg:
            grads.pooled.zero()
            layerNormBackward(
                dinp: grads.pooled.pointer, dweight: dNormW, dbias: dNormB, dout: grads.headInput.pointer,
                inp: acts.pooled,
                weight: normW, mean: acts.headMean, rstd: acts.headRstd, rows: batch, width: d)
            meanPoolBackward(
                dx: dres, dpooled: grads.pooled.pointer, batch: batch, tokens: t, first: arch.classToken ? 1 : 0,
                width: d)
        case .cls:
            grads.pooled.zero()
            layerNormBackward(
                dinp: grads.pooled.pointer, dweight: dNormW, dbias: dNormB, dout: grads.headInput.pointer,
                inp: acts.pooled,
                weight: normW, mean: acts.headMean, rstd: acts.headRstd, rows: batch, width: d)
            classPoolBackward(dinp: dres, dout: grads.pooled.pointer, batch: batch, tokens: t, width: d)
        }

        for l in stride(from: depth - 1, through: 0, by: -1) {
            let w = layerWeights[l]
            let a = acts.layers[l]
            let g: BlockParameters
            if let tlegGradient {
                tlegGradient.storage.update(repeating: 0, count: tlegGradient.layout.count)
                g = tlegGradient.block(0)
            } else {
                g = layout.block(stageOfLayer[l], in: gradients.pointer)
            }
            // out = x_mid + drop(fc2(gelu(fc1(norm2(x_mid))))): dres flows to x_mid unchanged and, masked, into the branch.
            // Every buffer below is written (β = 0) before it is read, so none is zeroed; without drop-path the
            // branch's gradient is dres itself.
            let dMLP = branchGradient(dres, keep: pathMasks.isEmpty ? nil : pathMasks[l][batch...], batch: batch)
            RuntimeProfile.measure(.backwardGEMM) {
                matmulBackward(
                    dinp: grads.hidden.pointer, dweight: g.fc2Weight, dbias: g.fc2Bias, dout: dMLP, inp: a.gelu,
                    weight: w.fc2Weight, rows: rows, inFeatures: h, outFeatures: d, accumulateInput: false)
            }
            RuntimeProfile.measure(.backwardGELU) {
                geluBackward(
                    dinp: grads.hiddenPre.pointer, dout: grads.hidden.pointer, inp: a.fc1, count: rows * h,
                    accumulate: false)
            }
            RuntimeProfile.measure(.backwardGEMM) {
                matmulBackward(
                    dinp: grads.tokens.pointer, dweight: g.fc1Weight, dbias: g.fc1Bias, dout: grads.hiddenPre.pointer,
                    inp: a.ln2, weight: w.fc1Weight, rows: rows, inFeatures: d, outFeatures: h, accumulateInput: false)
            }
            RuntimeProfile.measure(.backwardLayerNorm) {
                layerNormBackward(
                    dinp: dres, dweight: g.norm2Weight, dbias: g.norm2Bias, dout: grads.tokens.pointer, inp: a.mid,
                    weight: w.norm2Weight, mean: a.ln2Mean, rstd: a.ln2Rstd, rows: rows, width: d)
            }
            // x_mid = x + drop(proj(attn(qkv(norm1(x))))).
            let dAttention = branchGradient(
                dres, keep: pathMasks.isEmpty ? nil : pathMasks[l][..<batch], batch: batch)
            RuntimeProfile.measure(.backwardGEMM) {
                matmulBackward(
                    dinp: grads.tokens.pointer, dweight: g.projWeight, dbias: g.projBias, dout: dAttention,
                    inp: a.attn, weight: w.projWeight, rows: rows, inFeatures: d, outFeatures: d,
                    accumulateInput: false)
            }
            RuntimeProfile.measure(.backwardAttention) {
                attentionBackward(
                    dqkv: grads.qkv.pointer, dout: grads.tokens.pointer, qkv: a.qkv, probs: a.probs,
                    scratch: grads.attentionScratch.pointer, batch: batch, tokens: t, width: d, heads: arch.heads,
                    accumulate: false)
            }
            RuntimeProfile.measure(.backwardGEMM) {
                matmulBackward(
                    dinp: grads.tokens.pointer, dweight: g.qkvWeight, dbias: g.qkvBias, dout: grads.qkv.pointer,
                    inp: a.ln1, weight: w.qkvWeight, rows: rows, inFeatures: d, outFeatures: 3 * d,
                    accumulateInput: false)
            }
            RuntimeProfile.measure(.backwardLayerNorm) {
                layerNormBackward(
                    dinp: dres, dweight: g.norm1Weight, dbias: g.norm1Bias, dout: grads.tokens.pointer,
                    inp: acts.residual[l], weight: w.norm1Weight, mean: a.ln1Mean, rstd: a.ln1Rstd, rows: rows,
                    width: d)
            }
            if let tlegGradient {
                // θ_l = θ_A + (l/L)·θ_B  ⇒  dθ_A += dθ_l, dθ_B += (l/L)·dθ_l.
                let fraction = tlegFraction(layer: l)
                let dA = gradients.pointer + layout.blockStart(0)
                let dB = gradients.pointer + layout.blockStart(1)
                let dTheta = tlegGradient.storage + tlegGradient.layout.blockStart(0)
                for i in 0..<layout.blockSize {
                    dA[i] += dTheta[i]
                    dB[i] += fraction * dTheta[i]
                }
            }
        }

        grads.patchTokens.zero()
        tokenEmbeddingBackward(
            dpatches: grads.patchTokens.pointer, dpos: gradient("pos_embed"),
            dcls: arch.classToken ? gradient("cls_token") : nil,
            dx: dres, batch: batch, patches: n, width: d)
        matmulBackward(
            dinp: nil, dweight: gradient("patch_embed.proj.weight"), dbias: gradient("patch_embed.proj.bias"),
            dout: grads.patchTokens.pointer,
            inp: acts.patches, weight: parameter("patch_embed.proj.weight"), rows: batch * n,
            inFeatures: arch.patchValues, outFeatures: d)
    }

    /// The gradient of a residual branch out = x + keep[b] · branch from the sum's gradient `dres`: `dres` itself
    /// without drop-path (no copy), else keep[b] · dres in the branch scratch.
    private func branchGradient(
        _ dres: UnsafeMutablePointer<Float>, keep: ArraySlice<Float>?, batch: Int
    ) -> UnsafePointer<Float> {
        guard let keep else { return UnsafePointer(dres) }
        let span = arch.tokenCount * arch.width
        dropPathBackward(dbranch: grads.branch.pointer, dout: dres, keep: keep, batch: batch, span: span)
        return UnsafePointer(grads.branch.pointer)
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

    /// θ_l = θ_A + (l/L)·θ_B for every virtual layer, and a copy of the shared tensors, so that `tlegWeights`
    /// is a complete L-block model (TLEG only).
    private func materializeTLEG() {
        guard let tlegWeights else { return }
        for spec in layout.architecture.sharedTensorSpecs {
            tlegWeights.pointer(spec.name).update(from: parameters.pointer(spec.name), count: spec.elementCount)
        }
        let a = parameters.storage + layout.blockStart(0)
        let b = parameters.storage + layout.blockStart(1)
        for l in 0..<depth {
            let fraction = tlegFraction(layer: l)
            let out = tlegWeights.storage + tlegWeights.layout.blockStart(l)
            for i in 0..<layout.blockSize { out[i] = a[i] + fraction * b[i] }
        }
    }

    /// Draws per-image keep multipliers: 0 with probability r_l, else 1/(1 − r_l) (timm's `drop_path`).
    private func drawPathMasks(_ dropPath: (rates: [Float], rng: SplitMix64)?, batch: Int) {
        guard let dropPath, dropPath.rates.contains(where: { $0 > 0 }) else {
            pathMasks = []
            return
        }
        let rates = dropPath.rates
        var rng = dropPath.rng
        pathMasks = (0..<depth).map { l in
            let keep = 1 - rates[l]
            return (0..<(2 * batch)).map { _ in rng.nextUnitFloat() < keep ? 1 / keep : 0 }
        }
    }
}

/// Gradient scratch reused by every layer of the backward pass.
private final class GradientScratch {
    let residual, branch, tokens, qkv, hidden, hiddenPre, attentionScratch, headInput, pooled, patchTokens: FloatBuffer

    init(_ a: ViTArchitecture, batch: Int) {
        let rows = batch * a.tokenCount
        let d = a.width
        residual = FloatBuffer(count: rows * d)  // dL/dx of the residual stream [B, T, d]
        branch = FloatBuffer(count: rows * d)  // masked branch gradient [B, T, d]
        tokens = FloatBuffer(count: rows * d)  // [B, T, d]
        qkv = FloatBuffer(count: rows * 3 * d)  // [B, T, 3d]
        hidden = FloatBuffer(count: rows * a.mlpWidth)  // [B, T, 4d] after GELU
        hiddenPre = FloatBuffer(count: rows * a.mlpWidth)  // [B, T, 4d] before GELU
        attentionScratch = FloatBuffer(count: a.tokenCount * a.tokenCount)  // [T, T]
        headInput = FloatBuffer(count: batch * d)  // [B, d]
        pooled = FloatBuffer(count: batch * d)  // [B, d]
        patchTokens = FloatBuffer(count: batch * a.patchCount * d)  // [B, N, d]
    }
}
