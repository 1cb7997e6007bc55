import LgregArchitecture

/// Everything that can go wrong loading a model or a data set, or running an evaluation; one case per failure.
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// The weights lack a tensor the architecture needs.
    case missingTensor(file: String, name: String)
    /// A tensor's shape differs from the one the architecture implies.
    case tensorShape(file: String, name: String, expected: [Int], actual: [Int])
    /// The weights hold a tensor the architecture has no place for.
    case unexpectedTensor(file: String, name: String)
    /// The weights hold no `blocks.i.*` tensors, or their indices skip a number.
    case blockIndices(file: String, found: [Int])
    /// A layer map entry names a block the weights do not have, or the map is empty.
    case layerMap(map: [Int], blocks: Int)
    /// More images were passed than the runner was planned for.
    case batchTooLarge(batch: Int, maxBatch: Int)
    /// A data file could not be read or decompressed.
    case dataIO(file: String, reason: String)
    /// An IDX file's magic number is not the one its kind needs.
    case badMagic(file: String, expected: UInt32, actual: UInt32)
    /// A data file ends before the data its header declares.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// Images and labels disagree in number.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A field of a data set is missing, of the wrong type or out of range.
    case invalidField(file: String, field: String, reason: String)
    /// The data set's images do not have the shape the model takes.
    case inputShape(file: String, expected: [Int], actual: [Int])
    /// An eval-set file declares a format version this build does not read.
    case unknownFormatVersion(file: String, version: String, supported: Int)
    /// A `--data` specification names no known data set.
    case unknownDataSpec(spec: String)

    public var description: String {
        switch self {
        case .missingTensor(let file, let name):
            return "\(file): tensor '\(name)' is missing"
        case .tensorShape(let file, let name, let expected, let actual):
            return "\(file): tensor '\(name)' has shape \(actual), the architecture needs \(expected)"
        case .unexpectedTensor(let file, let name):
            return "\(file): tensor '\(name)' has no place in the architecture"
        case .blockIndices(let file, let found):
            return found.isEmpty
                ? "\(file): holds no blocks.i.* tensors"
                : "\(file): block indices \(found) are not 0..<\(found.count)"
        case .layerMap(let map, let blocks):
            return
                "layer map \(map.map(String.init).joined(separator: ",")) must be non-empty and name blocks in 0..<\(blocks)"
        case .batchTooLarge(let batch, let maxBatch):
            return "batch of \(batch) exceeds the \(maxBatch) images the runner was planned for"
        case .dataIO(let file, let reason):
            return "\(file): \(reason)"
        case .badMagic(let file, let expected, let actual):
            return
                "\(file): magic number 0x\(String(actual, radix: 16)) where 0x\(String(expected, radix: 16)) was expected; not an IDX file of this kind"
        case .truncated(let file, let expectedBytes, let actualBytes):
            return "\(file): truncated: the header declares \(expectedBytes) bytes, the file holds \(actualBytes)"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(imageCount) images in \(images) but \(labelCount) labels in \(labels)"
        case .invalidField(let file, let field, let reason):
            return "\(file): field '\(field)' \(reason)"
        case .inputShape(let file, let expected, let actual):
            return "\(file): images have shape [C, H, W] = \(actual), the model takes \(expected)"
        case .unknownFormatVersion(let file, let version, let supported):
            return "\(file): eval-set format version '\(version)'; this lgreg reads version \(supported) only"
        case .unknownDataSpec(let spec):
            return
                "data '\(spec)': expected fashion-mnist:test, fashion-mnist:train or the path of an eval-set .safetensors file"
        }
    }
}
