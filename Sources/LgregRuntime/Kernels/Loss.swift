import Foundation

/// Cross-entropy per example: losses[b] = log Σⱼ exp(logits[b, j]) − logits[b, labels[b]], with the
/// log-sum-exp taken about the row's maximum (in `Double`) so large logits do not overflow.
///
/// - Parameters:
///   - losses: [batch]
///   - logits: [batch, classes]
///   - labels: [batch], each in 0..<classes
public func crossEntropyForward(
    _ losses: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>,
    labels: UnsafePointer<Int32>, batch: Int, classes: Int
) {
    for b in 0..<batch {
        let row = logits + b * classes
        let label = Int(labels[b])
        precondition(label >= 0 && label < classes, "crossEntropyForward: label \(label) outside 0..<\(classes)")
        let maxValue = Double(VectorMath.max(row, count: classes))
        var total = 0.0
        for j in 0..<classes { total += Foundation.exp(Double(row[j]) - maxValue) }
        losses[b] = Float(maxValue + Foundation.log(total) - Double(row[label]))
    }
}

/// Index of the largest value in each row: out[b] = argmaxⱼ logits[b, j] (the first on ties).
///
/// - Parameters:
///   - out: [batch]
///   - logits: [batch, classes]
public func argmaxForward(_ out: UnsafeMutablePointer<Int32>, _ logits: UnsafePointer<Float>, batch: Int, classes: Int)
{
    for b in 0..<batch {
        let row = logits + b * classes
        var best = 0
        for j in 1..<max(classes, 1) where row[j] > row[best] { best = j }
        out[b] = Int32(best)
    }
}
