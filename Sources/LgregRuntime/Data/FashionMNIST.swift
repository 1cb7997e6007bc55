import CArchive
import Foundation

/// Fashion-MNIST from gzipped IDX files (Debian's `dataset-fashion-mnist` by default): 28×28×1 images,
/// 10 classes, normalized with mean 0.2860 and std 0.3530.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The usual normalization of Fashion-MNIST's pixels (after scaling to [0, 1]).
    public static let mean: Float = 0.2860, std: Float = 0.3530

    /// The two splits.
    public enum Split: String, CaseIterable, Sendable {
        case train, test

        var prefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads a split from `directory` (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
    /// `t10k-…` for test).
    /// - Throws: `RuntimeError` naming the file: unreadable, bad magic, truncated, count mismatch.
    public static func load(_ split: Split, directory: String = defaultDirectory) throws -> ImageDataSet {
        let imagePath = (directory as NSString).appendingPathComponent("\(split.prefix)-images-idx3-ubyte.gz")
        let labelPath = (directory as NSString).appendingPathComponent("\(split.prefix)-labels-idx1-ubyte.gz")
        let images = try IDXFile(path: imagePath, bytes: try Gzip.decompress(path: imagePath), kind: .images)
        let labels = try IDXFile(path: labelPath, bytes: try Gzip.decompress(path: labelPath), kind: .labels)
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw RuntimeError.countMismatch(
                images: imagePath, imageCount: images.dimensions[0], labels: labelPath,
                labelCount: labels.dimensions[0])
        }
        return try ImageDataSet(
            source: "fashion-mnist:\(split.rawValue)", channels: 1, height: images.dimensions[1],
            width: images.dimensions[2], pixels: .u8(images.values),
            labels: labels.values.map { Int32($0) }, mean: [mean], std: [std], labelSource: labelPath)
    }
}

/// An unsigned-byte IDX file (LeCun's MNIST format): a big-endian magic 0x0000_08NN with NN dimensions, NN
/// big-endian 32-bit dimension sizes, then the bytes.
struct IDXFile {
    enum Kind {
        case images, labels

        var dimensions: Int { self == .images ? 3 : 1 }
        var magic: UInt32 { 0x0000_0800 | UInt32(dimensions) }
    }

    let dimensions: [Int]
    let values: [UInt8]

    init(path: String, bytes: [UInt8], kind: Kind) throws {
        func word(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let header = 4 + 4 * kind.dimensions
        guard bytes.count >= 4 else {
            throw RuntimeError.truncated(file: path, expectedBytes: header, actualBytes: bytes.count)
        }
        guard word(0) == kind.magic else {
            throw RuntimeError.badMagic(file: path, expected: kind.magic, actual: word(0))
        }
        guard bytes.count >= header else {
            throw RuntimeError.truncated(file: path, expectedBytes: header, actualBytes: bytes.count)
        }
        dimensions = (0..<kind.dimensions).map { Int(word(4 + 4 * $0)) }
        let expected = header + dimensions.reduce(1, *)
        guard bytes.count >= expected else {
            throw RuntimeError.truncated(file: path, expectedBytes: expected, actualBytes: bytes.count)
        }
        guard bytes.count == expected else {
            throw RuntimeError.invalidField(
                file: path, field: "data",
                reason: "has \(bytes.count - expected) bytes beyond the declared \(dimensions)")
        }
        values = Array(bytes[header...])
    }
}

/// Reads a gzip file through libarchive's gzip filter and raw format.
enum Gzip {
    static func decompress(path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RuntimeError.dataIO(
                file: path, reason: "no such file (install Debian's dataset-fashion-mnist or pass --data-dir)")
        }
        guard let archive = archive_read_new() else {
            throw RuntimeError.dataIO(file: path, reason: "libarchive could not start")
        }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_raw(archive)
        func failure(_ what: String) -> RuntimeError {
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            return RuntimeError.dataIO(file: path, reason: "\(what): \(message)")
        }
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else { throw failure("cannot open") }
        var entry: OpaquePointer?
        guard archive_read_next_header(archive, &entry) == ARCHIVE_OK else { throw failure("not gzip data") }
        guard archive_filter_code(archive, 0) == ARCHIVE_FILTER_GZIP else {
            throw RuntimeError.dataIO(file: path, reason: "not gzip-compressed")
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if read == 0 { break }
            guard read > 0 else { throw failure("corrupt or truncated gzip stream") }
            result.append(contentsOf: chunk[0..<read])
        }
        return result
    }
}
