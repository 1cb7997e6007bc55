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
    public func forward(logits: UnsafePointer<Float>, labels: [Int], probs: UnsafeMutablePointer<Float>, classes: Int)
        -> Float
    {
        var total: Double = 0
        for (b, label) in labels.enumerated() {
            let logLikelihoods = logSoftmax(
                logits + b * classes, into: probs + b * classes, classes: classes, temperature: 1)
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
    public func backward(
        dlogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: [Int], classes: Int, weight: Float
    ) {
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
    public func forward(
        student: UnsafePointer<Float>, teacher: UnsafePointer<Float>, studentProbs: UnsafeMutablePointer<Float>,
        teacherProbs: UnsafeMutablePointer<Float>, batch: Int, classes: Int
    ) -> Float {
        var total: Double = 0
        for b in 0..<batch {
            let logS = logSoftmax(
                student + b * classes, into: studentProbs + b * classes, classes: classes, temperature: temperature)
            let logT = logSoftmax(
                teacher + b * classes, into: teacherProbs + b * classes, classes: classes, temperature: temperature)
            for c in 0..<classes { total += Double(teacherProbs[b * classes + c]) * (logT[c] - logS[c]) }
        }
        let tau = Double(temperature)
        return Float(total * tau * tau / Double(batch * classes))
    }

    /// Backward: `ds += weight · τ / (B·C) · (softmax(s/τ) − softmax(t/τ))` (d/ds of τ²·KL brings one 1/τ).
    public func backward(
        dstudent: UnsafeMutablePointer<Float>, studentProbs: UnsafePointer<Float>, teacherProbs: UnsafePointer<Float>,
        batch: Int, classes: Int, weight: Float
    ) {
        let scale = weight * temperature / Float(batch * classes)
        for i in 0..<(batch * classes) { dstudent[i] += scale * (studentProbs[i] - teacherProbs[i]) }
    }
}

/// `log softmax(z/τ)` of one row in Double, writing `softmax(z/τ)` as Float into `probs`.
private func logSoftmax(
    _ z: UnsafePointer<Float>, into probs: UnsafeMutablePointer<Float>, classes: Int, temperature: Float
) -> [Double] {
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

/// The training objective of the paper's Eq. 4: `(1 − α)·CE(s, y) + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))/(B·C)`;
/// with α = 0 (or no teacher) plain cross-entropy.
public struct DistillationObjective: Codable, Equatable, Sendable {
    /// α, the weight of the distillation term.
    public var alpha: Float
    /// τ, the distillation temperature.
    public var temperature: Float
    /// Label smoothing ε of the cross-entropy term.
    public var labelSmoothing: Float

    public init(alpha: Float, temperature: Float, labelSmoothing: Float) {
        self.alpha = alpha
        self.temperature = temperature
        self.labelSmoothing = labelSmoothing
    }

    /// Returns the loss and writes its gradient with respect to the logits into `dlogits` ([batch, classes],
    /// overwritten). `teacher` is required when α > 0.
    public func lossAndGradient(
        logits: UnsafePointer<Float>, labels: [Int], teacher: UnsafePointer<Float>?,
        dlogits: UnsafeMutablePointer<Float>, classes: Int
    ) -> Float {
        let batch = labels.count
        dlogits.update(repeating: 0, count: batch * classes)
        var probs = [Float](repeating: 0, count: batch * classes)
        var loss: Float = 0
        if alpha < 1 {
            let ce = CrossEntropy(smoothing: labelSmoothing)
            loss += (1 - alpha) * ce.forward(logits: logits, labels: labels, probs: &probs, classes: classes)
            ce.backward(dlogits: dlogits, probs: probs, labels: labels, classes: classes, weight: 1 - alpha)
        }
        if alpha > 0 {
            precondition(teacher != nil, "DistillationObjective: α = \(alpha) needs teacher logits")
            let kd = SoftDistillation(temperature: temperature)
            var teacherProbs = [Float](repeating: 0, count: batch * classes)
            loss +=
                alpha
                * kd.forward(
                    student: logits, teacher: teacher!, studentProbs: &probs, teacherProbs: &teacherProbs, batch: batch,
                    classes: classes)
            kd.backward(
                dstudent: dlogits, studentProbs: probs, teacherProbs: teacherProbs, batch: batch, classes: classes,
                weight: alpha)
        }
        return loss
    }
}
