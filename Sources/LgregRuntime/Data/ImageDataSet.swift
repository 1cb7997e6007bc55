import LgregArchitecture
import LgregCore

/// A labelled set of images in memory, with the normalization that turns its stored pixels into model input.
///
/// Stored pixels are 8-bit (`UInt8`, read as value/255) or already floats; model input is
/// (pixel − mean[c]) / std[c] per channel c, computed as a batch is filled.
public struct ImageDataSet: Sendable {
    /// The stored pixels, [count, channels, height, width].
    public enum Pixels: Sendable {
        /// 8-bit pixels, read as value / 255.
        case u8([UInt8])
        /// Floating-point pixels, read as they are.
        case f32([Float])
    }

    /// Where the data came from (a file path or `fashion-mnist:test`), used in messages.
    public let source: String
    /// Images in the set.
    public let count: Int
    /// Channels, height and width of one image.
    public let channels: Int, height: Int, width: Int
    /// The pixels.
    public let pixels: Pixels
    /// Class of each image, [count].
    public let labels: [Int32]
    /// Per-channel mean and standard deviation subtracted from and divided into the scaled pixels
    /// (one value each, or one per channel).
    public let mean: [Float], std: [Float]

    /// Checks that pixel and label counts agree and that mean/std have 1 or `channels` positive entries.
    /// - Parameter labelSource: the labels' file, named in errors when it is not `source` (IDX keeps them apart).
    /// - Throws: `RuntimeError.invalidField` or `.countMismatch` naming `source`.
    public init(
        source: String, channels: Int, height: Int, width: Int, pixels: Pixels, labels: [Int32],
        mean: [Float], std: [Float], labelSource: String? = nil
    ) throws {
        let stored: Int
        switch pixels {
        case .u8(let values): stored = values.count
        case .f32(let values): stored = values.count
        }
        let perImage = channels * height * width
        guard perImage > 0, stored % perImage == 0 else {
            throw RuntimeError.invalidField(
                file: source, field: "images",
                reason: "holds \(stored) values, not a whole number of \(channels)×\(height)×\(width) images")
        }
        let count = stored / perImage
        guard count == labels.count else {
            throw RuntimeError.countMismatch(
                images: source, imageCount: count, labels: labelSource ?? source, labelCount: labels.count)
        }
        for (field, values) in [("mean", mean), ("std", std)] where !(values.count == 1 || values.count == channels) {
            throw RuntimeError.invalidField(
                file: source, field: field,
                reason: "has \(values.count) values for \(channels) channels (need 1 or \(channels))")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw RuntimeError.invalidField(
                file: source, field: "std", reason: "must be finite and positive, got \(std)")
        }
        if let bad = labels.first(where: { $0 < 0 }) {
            throw RuntimeError.invalidField(
                file: labelSource ?? source, field: "labels", reason: "holds the negative label \(bad)")
        }
        self.source = source
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.mean = mean
        self.std = std
    }

    /// Floats in one image.
    public var imageValues: Int { channels * height * width }

    /// Checks that the images fit `architecture`'s input and the labels its head.
    /// - Throws: `RuntimeError.inputShape` or `.invalidField` (a label ≥ classes).
    public func check(against architecture: ViTArchitecture) throws {
        let expected = [architecture.inChannels, architecture.imageSize, architecture.imageSize]
        guard [channels, height, width] == expected else {
            throw RuntimeError.inputShape(file: source, expected: expected, actual: [channels, height, width])
        }
        if let bad = labels.first(where: { Int($0) >= architecture.classes }) {
            throw RuntimeError.invalidField(
                file: source, field: "labels",
                reason: "holds label \(bad) but the model has \(architecture.classes) classes")
        }
    }

    /// Writes the normalized images `indices` to `out` ([indices.count, channels, height, width]) and their
    /// labels to `labels` ([indices.count]).
    public func fill(
        _ out: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>, indices: some Collection<Int>
    ) {
        let plane = height * width
        for (slot, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "image \(index) outside 0..<\(count)")
            labels[slot] = self.labels[index]
            for c in 0..<channels {
                let mu = mean.count == 1 ? mean[0] : mean[c]
                let inv = 1 / (std.count == 1 ? std[0] : std[c])
                let dst = out + slot * imageValues + c * plane
                let start = index * imageValues + c * plane
                switch pixels {
                case .u8(let values):
                    for i in 0..<plane { dst[i] = (Float(values[start + i]) / 255 - mu) * inv }
                case .f32(let values):
                    for i in 0..<plane { dst[i] = (values[start + i] - mu) * inv }
                }
            }
        }
    }
}

/// The order in which a data set is visited, in batches: sequential, or shuffled by a seeded generator so
/// the same seed gives the same order on every machine.
///
/// ```swift
/// for batch in BatchOrder(count: 60_000, batchSize: 64, shuffleSeed: epoch) { dataSet.fill(x, labels: y, indices: batch) }
/// ```
public struct BatchOrder: Sequence, Sendable {
    /// Every index once, in visiting order.
    public let indices: [Int]
    /// Indices per batch; the last batch may be shorter.
    public let batchSize: Int

    /// - Parameters:
    ///   - count: images in the data set
    ///   - batchSize: at least 1
    ///   - shuffleSeed: nil for 0, 1, 2, …; otherwise a Fisher–Yates shuffle driven by `SplitMix64(seed:)`
    ///     (LgregCore's generator, the one every seeded draw in lgreg uses)
    public init(count: Int, batchSize: Int, shuffleSeed: UInt64? = nil) {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        var indices = Array(0..<count)
        if let seed = shuffleSeed {
            var generator = SplitMix64(seed: seed)
            for i in stride(from: count - 1, to: 0, by: -1) {
                indices.swapAt(i, generator.uniform(below: i + 1))
            }
        }
        self.indices = indices
        self.batchSize = batchSize
    }

    /// Number of batches.
    public var batchCount: Int { (indices.count + batchSize - 1) / batchSize }

    public func makeIterator() -> AnyIterator<ArraySlice<Int>> {
        var start = 0
        return AnyIterator {
            guard start < indices.count else { return nil }
            defer { start += batchSize }
            return indices[start..<Swift.min(start + batchSize, indices.count)]
        }
    }
}
