import Foundation
import LgregCore

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
        var declaration: Declaration
        var bytes: [UInt8]
    }

    /// A tensor's name, dtype and shape, declared before its bytes exist (for `stream(to:…)`).
    public struct Declaration: Equatable, Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]

        /// Bytes of the tensor's data: elements × dtype size.
        public let byteCount: Int

        /// - Throws: `SafeTensorsError.invalidWrite` for the reserved name `__metadata__`, a negative dimension,
        ///   or a shape whose byte count overflows.
        public init(name: String, dtype: DType, shape: [Int]) throws {
            guard name != "__metadata__" else {
                throw SafeTensorsError.invalidWrite(reason: "a tensor may not be named __metadata__")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)' has a negative dimension in \(shape)")
            }
            var bytes = dtype.byteSize
            for dimension in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw SafeTensorsError.invalidWrite(
                        reason: "tensor '\(name)' of shape \(shape) has more bytes than fit a 64-bit size")
                }
                bytes = product
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.byteCount = bytes
        }
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
        let declaration = try Declaration(name: name, dtype: dtype, shape: shape)
        guard bytes.count == declaration.byteCount else {
            throw SafeTensorsError.invalidWrite(
                reason:
                    "tensor '\(name)' has \(bytes.count) bytes; shape \(shape) as \(dtype.rawValue) needs \(declaration.byteCount)"
            )
        }
        guard names.insert(name).inserted else {
            throw SafeTensorsError.invalidWrite(reason: "tensor '\(name)' added twice")
        }
        entries.append(Entry(declaration: declaration, bytes: bytes))
    }

    /// Adds a floating-point tensor, encoded as `dtype` (F32 by default).
    public mutating func add(_ name: String, shape: [Int], floats: [Float], as dtype: DType = .f32) throws {
        guard dtype.isFloatingPoint else {
            throw SafeTensorsError.invalidWrite(
                reason: "tensor '\(name)': \(dtype.rawValue) is not a floating-point dtype")
        }
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
    func headerBytes() throws -> [UInt8] { try Self.headerBytes(entries.map(\.declaration), metadata: metadata) }

    static func headerBytes(_ tensors: [Declaration], metadata: [String: String]) throws -> [UInt8] {
        var json = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(Self.quote($0)):\(Self.quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.byteCount
            parts.append(
                "\(Self.quote(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        guard header.count <= SafeTensorsFile.headerLimit else {
            throw SafeTensorsError.invalidWrite(
                reason: "header of \(header.count) bytes exceeds the \(SafeTensorsFile.headerLimit)-byte limit")
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

    /// Writes the file to `url` through `AtomicFileWriter`, so a reader never sees half a file.
    public func write(to url: URL) throws {
        try Self.stream(to: url, tensors: entries.map(\.declaration), metadata: metadata) { index, emit in
            try entries[index].bytes.withUnsafeBytes(emit)
        }
    }

    /// Streams a file whose tensors are declared up front and produced one at a time, so a model larger
    /// than memory (or mapped from other files) is written without being assembled: the header is written
    /// first, then `produce(i, emit)` is called for each tensor in order and hands its bytes to `emit`, in
    /// one or more pieces that must add up to the declared size. Written through `AtomicFileWriter`, as
    /// `write(to:)` is.
    /// - Throws: `SafeTensorsError.invalidWrite` for a repeated name or a tensor that produced the wrong
    ///   number of bytes, `FileSystemError` when the file cannot be written or `url` is not a regular file;
    ///   whatever `produce` throws.
    public static func stream(
        to url: URL, tensors: [Declaration], metadata: [String: String] = [:],
        produce: (_ index: Int, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let header = try checkedHeader(tensors, metadata: metadata)
        let file = try AtomicFileWriter(replacing: url)
        try write(header: header, tensors: tensors, to: file.write, produce: produce)
        try file.commit()
    }

    /// Streams the same bytes as `stream(to:…)` into `sink` (a `DurableFileWriter`'s `write`, for a file in a
    /// folder that is itself swapped into place), leaving syncing and naming to the caller.
    /// - Throws: as `stream(to:…)`, and whatever `sink` throws.
    public static func stream(
        tensors: [Declaration], metadata: [String: String] = [:],
        into sink: @escaping (UnsafeRawBufferPointer) throws -> Void,
        produce: (_ index: Int, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        try write(header: try checkedHeader(tensors, metadata: metadata), tensors: tensors, to: sink, produce: produce)
    }

    /// The header `stream` writes first for `tensors` (its length, then the JSON padded to a multiple of 8), for a
    /// caller that writes or hashes the tensors' bytes after it itself.
    /// - Throws: `SafeTensorsError.invalidWrite` for a repeated name or a header past the size limit.
    public static func header(_ tensors: [Declaration], metadata: [String: String] = [:]) throws -> [UInt8] {
        try checkedHeader(tensors, metadata: metadata)
    }

    /// The header of `tensors`, after refusing a repeated name.
    private static func checkedHeader(_ tensors: [Declaration], metadata: [String: String]) throws -> [UInt8] {
        var seen: Set<String> = []
        for tensor in tensors where !seen.insert(tensor.name).inserted {
            throw SafeTensorsError.invalidWrite(reason: "tensor '\(tensor.name)' added twice")
        }
        return try headerBytes(tensors, metadata: metadata)
    }

    /// Writes `header`, then each tensor's bytes as `produce` hands them over, checking each tensor's size.
    private static func write(
        header: [UInt8], tensors: [Declaration], to sink: @escaping (UnsafeRawBufferPointer) throws -> Void,
        produce: (_ index: Int, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        try header.withUnsafeBytes { try sink($0) }
        for (index, tensor) in tensors.enumerated() {
            var produced = 0
            try produce(index) { bytes in
                produced += bytes.count
                guard produced <= tensor.byteCount else {
                    throw SafeTensorsError.invalidWrite(
                        reason:
                            "tensor '\(tensor.name)' produced more than the \(tensor.byteCount) bytes its shape \(tensor.shape) as \(tensor.dtype.rawValue) needs"
                    )
                }
                if bytes.count > 0 { try sink(bytes) }
            }
            guard produced == tensor.byteCount else {
                throw SafeTensorsError.invalidWrite(
                    reason:
                        "tensor '\(tensor.name)' produced only \(produced) bytes; shape \(tensor.shape) as \(tensor.dtype.rawValue) needs \(tensor.byteCount)"
                )
            }
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
