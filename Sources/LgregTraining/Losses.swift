#if canImport(Glibc)
import Glibc
#endif

/// Softmax cross-entropy with label smoothing, forward and backward.
///
/// With ε the smoothing and C classes, the target is `q = (1 − ε)·onehot(y) + ε/C` and
/// `loss = −(1/B) Σ_b Σ_c q_bc · log softmax(z_b)_c` (PyTorch's `cross_entropy(label_smoothing=ε)`, mean over B).
public struct CrossEntropy {
    /// ε in [0, 1).
    public let smoothing: Float

    public init(smoothing: Float) { self.smoothing = smoothing }

    /// Forward: returns the mean loss and writes `probs = softmax(logits)` ([B, C]) for the backward.
    public func forward(logits: UnsafePointer<Float>, labels: [Int], probs: UnsafeMutablePointer<Float>, classes: Int) -> Float {
        var total: Double = 0
        for (b, label) in labels.enumerated() {
            let logLikelihoods = logSoftmax(logits + b * classes, into: probs + b * classes, classes: classes, temperature: 1)
            var rowLoss: Double = 0
            for c in 0..<classes {
                let q = (c == label ? 1 - smoothing : 0) + smoothing / Float(classes)
                rowLoss -= Double(q) * logLikelihoods[c]
            }
            total += rowLoss
        }
        return Float(total / Double(labels.count))
    }

    /// Backward: `dlogits += weight · (softmax(z) − q) / B`.
    public func backward(dlogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: [Int], classes: Int, weight: Float) {
        let scale = weight / Float(labels.count)
        for (b, label) in labels.enumerated() {
            for c in 0..<classes {
                let q = (c == label ? 1 - smoothing : 0) + smoothing / Float(classes)
                dlogits[b * classes + c] += scale * (probs[b * classes + c] - q)
            }
        }
    }
}

/// DeiT's soft distillation term, forward and backward.
///
/// `kd = τ² · Σ_b KL(softmax(t_b/τ) ‖ softmax(s_b/τ)) / (B·C)`: summed over the batch and divided by B × C, the
/// normalization of DeiT's `DistillationLoss` that the SWS code uses (the paper's Eq. 3–4 soft cross-entropy
/// differs from it by a constant and the 1/C factor, with the same gradient direction).
public struct SoftDistillation {
    /// τ > 0.
    public let temperature: Float

    public init(temperature: Float) { self.temperature = temperature }

    /// Forward: returns kd and writes `studentProbs = softmax(s/τ)` and `teacherProbs = softmax(t/τ)` ([B, C]).
    public func forward(student: UnsafePointer<Float>, teacher: UnsafePointer<Float>, studentProbs: UnsafeMutablePointer<Float>,
                        teacherProbs: UnsafeMutablePointer<Float>, batch: Int, classes: Int) -> Float {
        var total: Double = 0
        for b in 0..<batch {
            let logS = logSoftmax(student + b * classes, into: studentProbs + b * classes, classes: classes, temperature: temperature)
            let logT = logSoftmax(teacher + b * classes, into: teacherProbs + b * classes, classes: classes, temperature: temperature)
            for c in 0..<classes { total += Double(teacherProbs[b * classes + c]) * (logT[c] - logS[c]) }
        }
        let tau = Double(temperature)
        return Float(total * tau * tau / Double(batch * classes))
    }

    /// Backward: `ds += weight · τ / (B·C) · (softmax(s/τ) − softmax(t/τ))` (d/ds of τ²·KL brings one 1/τ).
    public func backward(dstudent: UnsafeMutablePointer<Float>, studentProbs: UnsafePointer<Float>, teacherProbs: UnsafePointer<Float>,
                         batch: Int, classes: Int, weight: Float) {
        let scale = weight * temperature / Float(batch * classes)
        for i in 0..<(batch * classes) { dstudent[i] += scale * (studentProbs[i] - teacherProbs[i]) }
    }
}

/// `log softmax(z/τ)` of one row in Double, writing `softmax(z/τ)` as Float into `probs`.
private func logSoftmax(_ z: UnsafePointer<Float>, into probs: UnsafeMutablePointer<Float>, classes: Int, temperature: Float) -> [Double] {
    let tau = Double(temperature)
    var maxValue = -Double.infinity
    for c in 0..<classes { maxValue = max(maxValue, Double(z[c]) / tau) }
    var sum: Double = 0
    for c in 0..<classes { sum += exp(Double(z[c]) / tau - maxValue) }
    let logSum = log(sum) + maxValue
    var out = [Double](repeating: 0, count: classes)
    for c in 0..<classes {
        out[c] = Double(z[c]) / tau - logSum
        probs[c] = Float(exp(out[c]))
    }
    return out
}
