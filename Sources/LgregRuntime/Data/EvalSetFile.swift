import Foundation
import SafeTensors

/// lgreg's eval-set file, so users can bring their own data (`Schemas/eval-set.schema.json`): a safetensors
/// file holding `images` [N, C, H, W] as U8 (read as value/255) or F32, and `labels` [N] as I64, with
/// metadata `format` = `lgreg-eval-set`, `format_version` = `1`, and `mean`, `std` as JSON arrays of one
/// value or one per channel (model input = (pixel − mean) / std).
public enum EvalSetFile {
    /// The value of the `format` metadata key.
    public static let format = "lgreg-eval-set"
    /// The format version this build reads and writes.
    public static let version = 1

    /// Reads and checks an eval-set file.
    /// - Throws: `SafeTensorsError` for a damaged file; `RuntimeError` naming the file and field for a
    ///   wrong format or version, a missing or misshapen tensor, bad normalization, or a count mismatch.
    public static func read(path: String) throws -> ImageDataSet {
        let file = try SafeTensorsFile(path: path)
        guard file.metadata["format"] == format else {
            throw RuntimeError.invalidField(
                file: path, field: "__metadata__.format",
                reason: "is \(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'")
        }
        guard let versionText = file.metadata["format_version"] else {
            throw RuntimeError.invalidField(file: path, field: "__metadata__.format_version", reason: "is missing")
        }
        guard versionText == String(version) else {
            throw RuntimeError.unknownFormatVersion(file: path, version: versionText, supported: version)
        }
        func vector(_ key: String) throws -> [Float] {
            guard let text = file.metadata[key],
                let values = try? JSONDecoder().decode([Float].self, from: Data(text.utf8)), !values.isEmpty
            else {
                throw RuntimeError.invalidField(
                    file: path, field: "__metadata__.\(key)",
                    reason:
                        "must be a JSON array of numbers such as [0.286], got \(file.metadata[key].map { "'\($0)'" } ?? "nothing")"
                )
            }
            return values
        }
        guard file.contains("images") else {
            throw RuntimeError.invalidField(file: path, field: "images", reason: "is missing")
        }
        guard file.contains("labels") else {
            throw RuntimeError.invalidField(file: path, field: "labels", reason: "is missing")
        }
        let images = try file.info("images")
        let labels = try file.info("labels")
        guard images.shape.count == 4 else {
            throw RuntimeError.invalidField(
                file: path, field: "images", reason: "has shape \(images.shape), expected [N, C, H, W]")
        }
        guard labels.shape.count == 1, labels.dtype == .i64 else {
            throw RuntimeError.invalidField(
                file: path, field: "labels", reason: "is \(labels.dtype.rawValue) \(labels.shape), expected I64 [N]")
        }
        let pixels: ImageDataSet.Pixels
        switch images.dtype {
        case .u8: pixels = .u8(Array(try file.bytes("images")))
        case .f32: pixels = .f32(try file.floats("images"))
        default:
            throw RuntimeError.invalidField(
                file: path, field: "images", reason: "has dtype \(images.dtype.rawValue), expected U8 or F32")
        }
        let labelValues = try file.int64s("labels")
        if let bad = labelValues.first(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
            throw RuntimeError.invalidField(file: path, field: "labels", reason: "holds the label \(bad)")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw RuntimeError.countMismatch(
                images: path, imageCount: images.shape[0], labels: path, labelCount: labels.shape[0])
        }
        return try ImageDataSet(
            source: path, channels: images.shape[1], height: images.shape[2], width: images.shape[3],
            pixels: pixels, labels: labelValues.map { Int32($0) }, mean: try vector("mean"), std: try vector("std"))
    }

    /// Writes `dataSet` as an eval-set file (atomically).
    public static func write(_ dataSet: ImageDataSet, to url: URL) throws {
        func json(_ values: [Float]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        var writer = SafeTensorsWriter(metadata: [
            "format": format, "format_version": String(version),
            "mean": json(dataSet.mean), "std": json(dataSet.std),
        ])
        let shape = [dataSet.count, dataSet.channels, dataSet.height, dataSet.width]
        switch dataSet.pixels {
        case .u8(let values): try writer.add("images", dtype: .u8, shape: shape, bytes: values)
        case .f32(let values): try writer.add("images", shape: shape, floats: values)
        }
        try writer.add("labels", shape: [dataSet.count], int64s: dataSet.labels.map(Int64.init))
        try writer.write(to: url)
    }
}

/// A `--data` argument: `fashion-mnist:test`, `fashion-mnist:train` (`fashion-mnist-test`, as
/// older learngene manifests spell their eval sets, is read too), or the path of an eval-set file.
public enum DataSpec: Equatable, Sendable {
    /// A Fashion-MNIST split read from a directory of gzipped IDX files.
    case fashionMNIST(FashionMNIST.Split)
    /// An eval-set safetensors file.
    case evalSet(path: String)

    /// Parses the argument; anything that is not `fashion-mnist:SPLIT` must be an existing file.
    /// - Throws: `RuntimeError.unknownDataSpec`.
    public init(parsing text: String) throws {
        if text.hasPrefix("fashion-mnist"), !FileManager.default.fileExists(atPath: text) {
            let rest = text.dropFirst("fashion-mnist".count)
            let split = rest.isEmpty ? "test" : (rest.first == ":" || rest.first == "-") ? String(rest.dropFirst()) : ""
            guard let value = FashionMNIST.Split(rawValue: split) else {
                throw RuntimeError.unknownDataSpec(spec: text)
            }
            self = .fashionMNIST(value)
        } else if FileManager.default.fileExists(atPath: text) {
            self = .evalSet(path: text)
        } else {
            throw RuntimeError.unknownDataSpec(spec: text)
        }
    }

    /// Loads the data; `directory` replaces Fashion-MNIST's default location.
    public func load(directory: String? = nil) throws -> ImageDataSet {
        switch self {
        case .fashionMNIST(let split):
            return try FashionMNIST.load(split, directory: directory ?? FashionMNIST.defaultDirectory)
        case .evalSet(let path): return try EvalSetFile.read(path: path)
        }
    }
}
