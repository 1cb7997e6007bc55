import LgregArchitecture

/// Runs a `ViTModel`'s forward pass on batches of up to `maxBatch` images.
///
/// Every activation buffer is planned once, for `maxBatch`, in one allocation, and reused by every layer
/// (`ViTActivations` without the training activations): the forward pass allocates nothing. Not thread-safe:
/// one runner per thread (OpenBLAS threads each GEMM).
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

    private let activations: ViTActivations
    /// The weights of each virtual layer: `model.layerMap` resolved once.
    private let blocks: [BlockParameters]

    public init(model: ViTModel, maxBatch: Int) {
        precondition(maxBatch >= 1, "maxBatch must be at least 1")
        self.model = model
        self.maxBatch = maxBatch
        activations = ViTActivations(
            architecture: model.architecture, depth: model.depth, batchCapacity: maxBatch,
            keepingEveryLayer: false)
        blocks = model.layerMap.map(model.parameters.block)
    }

    /// Floats of activation memory the runner holds.
    public var activationCount: Int { activations.count }

    /// Logits for `batch` images given as [batch, inChannels, imageSize, imageSize] normalized floats.
    ///
    /// - Returns: a pointer to [batch, classes] logits, valid until the next call on this runner.
    /// - Throws: `RuntimeError.batchTooLarge` when `batch > maxBatch`.
    public func logits(images: UnsafePointer<Float>, batch: Int) throws -> UnsafePointer<Float> {
        guard batch <= maxBatch else { throw RuntimeError.batchTooLarge(batch: batch, maxBatch: maxBatch) }
        vitForward(
            images: images, batch: batch, architecture: model.architecture, shared: model.parameters, blocks: blocks,
            activations: activations)
        return UnsafePointer(activations.logits)
    }

    /// Logits for `batch` images in an array, as a new array of batch × classes floats.
    public func logits(images: [Float], batch: Int) throws -> [Float] {
        let arch = model.architecture
        precondition(
            images.count == batch * arch.inChannels * arch.imageSize * arch.imageSize,
            "images holds \(images.count) floats, not \(batch) images of the model's shape")
        let result = try images.withUnsafeBufferPointer { try logits(images: $0.baseAddress!, batch: batch) }
        return Array(UnsafeBufferPointer(start: result, count: batch * arch.classes))
    }
}
