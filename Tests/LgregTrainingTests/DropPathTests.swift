import Foundation
import LgregArchitecture
import LgregCore
import LgregRuntime
import Testing

@testable import LgregTraining

/// Drop-path in the whole model: masks drawn from the step's generator, the same masks in the backward pass.
@Suite struct DropPathTests {
    /// A width-8 SWS model (schedule 2,1,2) with half its residual branches dropped at the last layer.
    func setUp() throws -> (TrainingModel, [Float], [Int]) {
        let arch = ViTArchitecture(
            imageSize: 8, patchSize: 4, inChannels: 1, width: 8, heads: 2, classes: 3, classToken: false,
            pooling: .avgNormFirst)
        let model = TrainingModel(
            architecture: arch, mode: .sws, schedule: try StageSchedule([2, 1, 2]), batchCapacity: 4)
        model.initializeParameters(seed: 3)
        // Larger weights than timm's init so every path matters.
        for i in 0..<model.layout.count { model.parameters.storage[i] *= 3 }
        return (model, randomValues(4 * 64, seed: 31).floats, [0, 2, 1, 2])
    }

    let rates = dropPathRates(rate: 0.6, depth: 5)

    func loss(_ model: TrainingModel, _ images: [Float], _ labels: [Int], dlogits: inout [Float]) -> Float {
        model.forward(images: images, batch: 4, dropPath: (rates, SplitMix64(seed: 9)))
        return DistillationObjective(alpha: 0, temperature: 1, labelSmoothing: 0)
            .lossAndGradient(logits: model.logits, labels: labels, teacher: nil, dlogits: &dlogits, classes: 3)
    }

    @Test func masksChangeTheOutputAndBackwardMatchesFiniteDifferences() throws {
        let (model, images, labels) = try setUp()
        var dlogits = [Float](repeating: 0, count: 12)
        model.forward(images: images, batch: 4)
        let clean = Array(UnsafeBufferPointer(start: model.logits, count: 12))
        let base = loss(model, images, labels, dlogits: &dlogits)
        let dropped = Array(UnsafeBufferPointer(start: model.logits, count: 12))
        #expect(clean != dropped)
        _ = loss(model, images, labels, dlogits: &dlogits)
        #expect(
            Array(UnsafeBufferPointer(start: model.logits, count: 12)) == dropped,
            "the same generator draws the same masks")

        model.zeroGradients()
        model.backward(dlogits: dlogits)
        // Central differences in Float on 40 parameters spread over every tensor kind.
        var analytic: [Float] = []
        var numeric: [Double] = []
        var scratch = dlogits
        for k in 0..<40 {
            let i = (k * 7919) % model.layout.count
            let saved = model.parameters.storage[i]
            let h: Float = 2e-3
            model.parameters.storage[i] = saved + h
            let plus = loss(model, images, labels, dlogits: &scratch)
            model.parameters.storage[i] = saved - h
            let minus = loss(model, images, labels, dlogits: &scratch)
            model.parameters.storage[i] = saved
            analytic.append(model.gradients[i])
            numeric.append(Double(plus - minus) / Double(2 * h))
        }
        #expect(base > 0)
        #expect(relativeError(analytic, numeric) < 2e-2, "analytic \(analytic) numeric \(numeric)")
    }
}
