import Foundation
import LgregVocabulary

/// The outcome of running a model over a data set.
public struct EvaluationResult: Codable, Equatable, Sendable {
    /// Images evaluated.
    public var images: Int
    /// Images whose highest logit is their label.
    public var correct: Int
    /// Mean cross-entropy over the images.
    public var meanLoss: Double
    /// Wall-clock seconds spent in the forward pass and batch preparation.
    public var seconds: Double

    /// Top-1 accuracy.
    public var top1: Top1 { Top1(correct: correct, of: images) }
    /// Throughput.
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}

/// Evaluates a model on a data set: top-1 accuracy and mean cross-entropy, batch by batch in index order
/// (deterministic: the same model and data give the same figures).
public enum Evaluation {
    /// Runs `runner` over the first `limit` images of `dataSet` (all when nil) in batches of `runner.maxBatch`.
    /// - Parameters:
    ///   - progress: called after each batch with (images done, images in total).
    ///   - logits: called after each batch with its logits, [images in the batch, classes] row-major.
    /// - Throws: `RuntimeError.inputShape` / `.invalidField` when the data does not fit the model.
    public static func run(
        _ runner: ViTRunner, on dataSet: ImageDataSet, limit: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil, logits observe: ((UnsafeBufferPointer<Float>) -> Void)? = nil
    ) throws -> EvaluationResult {
        let architecture = runner.model.architecture
        try dataSet.check(against: architecture)
        let total = min(limit ?? dataSet.count, dataSet.count)
        let batchSize = runner.maxBatch
        let classes = architecture.classes
        let images = UnsafeMutablePointer<Float>.allocate(capacity: batchSize * dataSet.imageValues)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize)
        let losses = UnsafeMutablePointer<Float>.allocate(capacity: batchSize)
        let predictions = UnsafeMutablePointer<Int32>.allocate(capacity: batchSize)
        defer {
            images.deallocate()
            labels.deallocate()
            losses.deallocate()
            predictions.deallocate()
        }

        var result = EvaluationResult(images: 0, correct: 0, meanLoss: 0, seconds: 0)
        var lossSum = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in BatchOrder(count: total, batchSize: batchSize) {
            let n = batch.count
            dataSet.fill(images, labels: labels, indices: batch)
            let logits = try runner.logits(images: images, batch: n)
            crossEntropyForward(losses, logits, labels: labels, batch: n, classes: classes)
            argmaxForward(predictions, logits, batch: n, classes: classes)
            observe?(UnsafeBufferPointer(start: logits, count: n * classes))
            for i in 0..<n {
                lossSum += Double(losses[i])
                if predictions[i] == labels[i] { result.correct += 1 }
            }
            result.images += n
            progress?(result.images, total)
        }
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        result.meanLoss = result.images == 0 ? 0 : lossSum / Double(result.images)
        return result
    }
}
