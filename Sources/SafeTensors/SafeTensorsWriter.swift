#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Builds a safetensors file: tensors in the order added, a header padded with spaces to a multiple of 8
/// bytes, and optional string metadata.
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["format": "pt"])
/// try writer.add("head.weight", shape: [10, 64], floats: weights)
/// try writer.write(to: URL(fileURLWithPath: "model.safetensors"))
/// ```
public struct SafeTensorsWriter {
    /// One tensor waiting to be written.
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var bytes: [UInt8]
    }

    private var entries: [Entry] = []
    private var names: Set<String> = []
    /// String metadata written as `__metadata__`.
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a tensor from raw little-endian bytes.
    /// - Throws: `SafeTensorsError.invalidWrite` for a reserved or repeated name, or bytes that do not
    ///   match the shape.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__" else { throw SafeTensorsError.invalidWrite(reason: "a tensor may not be named __metadata__") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)' has a negative dimension in \(shape)") }
        let expected = shape.reduce(1, *) * dtype.byteSize
        guard bytes.count == expected else {
            throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)' has \(bytes.count) bytes; shape \(shape) as \(dtype.rawValue) needs \(expected)")
        }
        guard names.insert(name).inserted else { throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)' added twice") }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
    }

    /// Adds a floating-point tensor, encoded as `dtype` (F32 by default).
    public mutating func add(_ name: String, shape: [Int], floats: [Float], as dtype: DType = .f32) throws {
        guard dtype.isFloatingPoint else { throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)': \(dtype.rawValue) is not a floating-point dtype") }
        try add(name, dtype: dtype, shape: shape, bytes: DTypeConversion.bytes(floats, as: dtype))
    }

    /// Adds an I64 tensor.
    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(int64s.count * 8)
        for value in int64s { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        try add(name, dtype: .i64, shape: shape, bytes: bytes)
    }

    /// The header bytes: JSON padded with spaces to a multiple of 8, preceded by its length.
    func headerBytes() throws -> [UInt8] {
        var json = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(Self.quote($0)):\(Self.quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for entry in entries {
            let end = offset + entry.bytes.count
            parts.append("\(Self.quote(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        guard header.count <= SafeTensorsFile.headerLimit else {
            throw SafeTensorsError.invalidWrite(reason: "header of \(header.count) bytes exceeds the \(SafeTensorsFile.headerLimit)-byte limit")
        }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        return out + header
    }

    /// The whole file in memory.
    public func serialized() throws -> Data {
        var data = Data(try headerBytes())
        for entry in entries { data.append(contentsOf: entry.bytes) }
        return data
    }

    /// Writes the file to `url` through a temporary file in the same folder, fsynced and renamed into place,
    /// so a reader never sees half a file.
    public func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw SafeTensorsError.io(path: url.path, reason: "cannot create a temporary file in \(directory.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: try headerBytes())
            for entry in entries { try handle.write(contentsOf: entry.bytes) }
            try handle.synchronize()
            guard rename(temporary.path, url.path) == 0 else {
                throw SafeTensorsError.io(path: url.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? SafeTensorsError { throw error }
            throw SafeTensorsError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// JSON string literal with the escapes JSON requires.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
