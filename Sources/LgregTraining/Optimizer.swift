#if canImport(Glibc)
    import Glibc
#endif

/// AdamW with decoupled weight decay (Loshchilov & Hutter; PyTorch's `torch.optim.AdamW`), one loop over flat
/// buffers.
///
/// Per element, at step t (1-based): `p −= lr·λ·p` where decay applies; `m = β₁m + (1−β₁)g`;
/// `v = β₂v + (1−β₂)g²`; `p −= (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)`.
public struct AdamW: Codable, Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// λ, applied only where `decayMask` is 1.
    public var weightDecay: Float

    public init(weightDecay: Float) { self.weightDecay = weightDecay }

    /// One update of `params` from `grads` at step `t` (1-based); `decayMask[i]` is 1 for decayed elements, 0 for
    /// the rest. All buffers share one layout.
    public func step(
        params: UnsafeMutablePointer<Float>, grads: FloatBuffer, m: FloatBuffer, v: FloatBuffer, decayMask: FloatBuffer,
        learningRate lr: Float, step t: Int
    ) {
        precondition(m.count == grads.count && v.count == grads.count && decayMask.count == grads.count)
        let bias1 = 1 - powf(beta1, Float(t))
        let bias2Root = (1 - powf(beta2, Float(t))).squareRoot()
        let stepSize = lr / bias1
        let decay = lr * weightDecay
        let p = params
        let g = grads.pointer
        let m = m.pointer
        let v = v.pointer
        let mask = decayMask.pointer
        for i in 0..<grads.count {
            p[i] -= decay * mask[i] * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / bias2Root + epsilon)
        }
    }
}

/// Learning rate per optimizer step: linear warm-up to the peak, then cosine decay to the floor.
///
/// Step s (0-based) of S total with W warm-up steps: `lr = peak·(s+1)/W` for s < W, else
/// `lr = floor + ½(peak − floor)(1 + cos(π·(s−W)/(S−W)))`.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var peak: Float
    public var floor: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, floor: Float, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak
        self.floor = floor
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The rate of step `step` (0-based).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = Double(min(step - warmupSteps, span)) / Double(span)
        return floor + 0.5 * (peak - floor) * Float(1 + cos(Double.pi * progress))
    }
}

/// Clips gradients by their global L2 norm, as `torch.nn.utils.clip_grad_norm_` does: when
/// `‖g‖₂ > maxNorm`, every element is multiplied by `maxNorm / (‖g‖₂ + 1e-6)`. Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: FloatBuffer, maxNorm: Float) -> Float {
    var sum: Double = 0
    for i in 0..<grads.count { sum += Double(grads[i]) * Double(grads[i]) }
    let norm = Float(sum.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for i in 0..<grads.count { grads[i] *= scale }
    }
    return norm
}
