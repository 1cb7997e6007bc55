import Foundation
import LgregCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Equatable, Sendable {
    /// The tensor's key.
    public let name: String
    /// Its element type.
    public let dtype: DType
    /// Its shape; `[]` is a scalar.
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let dataRange: Range<Int>

    /// Elements in the tensor (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }

    /// An entry as a header would list it (used to describe a file before its bytes are read).
    public init(name: String, dtype: DType, shape: [Int], dataRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataRange = dataRange
    }
}

/// A validated, memory-mapped safetensors file (or one held in memory, or one whose bytes are read on first use:
/// see `init(tensors:label:load:)`).
///
/// Opening checks, in order: file size, header length bound (100,000,000 bytes, the reference limit),
/// header within the file, UTF-8, JSON with no duplicate keys, each entry's dtype, shape and offsets with
/// overflow-checked arithmetic, offsets contiguous from 0, and data covering the rest of the file exactly.
/// An instance that exists is valid; tensor bytes are views into the mapping and live as long as it does.
///
/// ```swift
/// let file = try SafeTensorsFile(path: "model.safetensors")
/// let qkv = try file.floats("blocks.0.attn.qkv.weight")
/// ```
public final class SafeTensorsFile: @unchecked Sendable {
    /// The reference implementation's bound on the header length.
    public static let headerLimit = 100_000_000

    /// The path the file was opened from (or the label it was given).
    public let path: String
    /// Tensors in data order.
    public let tensors: [TensorInfo]
    /// The string-to-string `__metadata__`, empty when absent.
    public let metadata: [String: String]

    private let base: UnsafeRawPointer
    private let length: Int
    private let dataStart: Int
    private let release: () -> Void
    private let byName: [String: Int]
    /// Set for a file whose bytes are read on first use.
    private let deferred: Deferred?
    /// True when `base` maps the file itself (`init(path:)`).
    private let fileMapping: Bool

    /// Maps and validates the file at `path`, which must be a regular file (a FIFO or device is refused
    /// before anything blocks on it).
    /// - Throws: `SafeTensorsError` naming the file and what is wrong; `FileSystemError` of kind `.refused`
    ///   for a path that is not a regular file.
    public convenience init(path: String) throws {
        let file: RegularFile
        do { file = try RegularFile(path: path) } catch let error as FileSystemError where error.kind == .io {
            throw SafeTensorsError.io(path: path, reason: error.reason)
        }
        let size = file.size
        guard size > 0 else { throw SafeTensorsError.fileTooSmall(path: path, size: 0) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.descriptor, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError.io(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        try self.init(base: UnsafeRawPointer(mapped), length: size, label: path, fileMapping: true) {
            munmap(mapped, size)
        }
    }

    /// Validates bytes already in memory (an archive entry, a download); `label` names them in errors.
    public convenience init(data: Data, label: String) throws {
        try self.init(count: data.count, label: label) { data.copyBytes(to: $0) }
    }

    /// Validates the `count` bytes `fill` writes into fresh page-aligned memory that this file then owns (an
    /// archive entry streamed straight into place, with no second copy); `label` names them in errors. The memory
    /// is a mapping of its own, so it goes back to the system when the file is released rather than staying in
    /// the allocator's heap.
    public convenience init(count: Int, label: String, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let size = max(count, 1)
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else {
            throw SafeTensorsError.io(
                path: label, reason: "cannot allocate \(count) bytes: \(String(cString: strerror(errno)))")
        }
        do { try fill(UnsafeMutableRawBufferPointer(start: mapped, count: count)) } catch {
            munmap(mapped, size)
            throw error
        }
        try self.init(base: UnsafeRawPointer(mapped), length: count, label: label) { munmap(mapped, size) }
    }

    /// A file whose tensors are known before its bytes (a learngene archive's entry, described by its manifest):
    /// names, shapes and dtypes answer at once, and `load` runs on the first use of the bytes (`bytes`, `floats`,
    /// `int64s`, `fileBytes`), once, its file kept while this one lives. `metadata` is empty. The file `load`
    /// returns must hold exactly `tensors`, or that first use throws `SafeTensorsError.invalidTensorEntry`.
    public init(tensors: [TensorInfo], label: String, load: @escaping @Sendable () throws -> SafeTensorsFile) {
        self.path = label
        self.tensors = tensors
        self.metadata = [:]
        self.base = UnsafeRawPointer(bitPattern: 64)!
        self.length = 0
        self.dataStart = 0
        self.release = {}
        self.fileMapping = false
        self.byName = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.deferred = Deferred(load: load)
    }

    private init(
        base: UnsafeRawPointer, length: Int, label: String, fileMapping: Bool = false, release: @escaping () -> Void
    ) throws {
        var ok = false
        defer { if !ok { release() } }
        let parsed = try SafeTensorsHeader(
            prefix: UnsafeRawBufferPointer(start: base, count: length), fileSize: length, path: label)
        self.path = label
        self.base = base
        self.length = length
        self.release = release
        self.fileMapping = fileMapping
        self.tensors = parsed.tensors
        self.metadata = parsed.metadata
        self.dataStart = parsed.dataStart
        self.byName = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
        self.deferred = nil
        ok = true
    }

    deinit { release() }

    /// The entry for `name`.
    public func info(_ name: String) throws -> TensorInfo {
        guard let index = byName[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        return tensors[index]
    }

    /// Whether a tensor of this name exists.
    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// The raw little-endian bytes of `name`, valid while this object lives.
    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let entry = try info(name)
        if let deferred { return try deferred.file(describedBy: self).bytes(name) }
        return UnsafeRawBufferPointer(
            start: base + dataStart + entry.dataRange.lowerBound, count: entry.dataRange.count)
    }

    /// The whole file's bytes, valid while this object lives (empty when a file read on first use cannot be
    /// read: call `bytes(_:)` first to learn why).
    public var fileBytes: UnsafeRawBufferPointer {
        if let deferred {
            return (try? deferred.file(describedBy: self))?.fileBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: base, count: length)
    }

    /// Gives the memory of the bytes back: a file read on first use forgets them (a later use reads them again),
    /// a mapped file's pages leave this process (a later use faults them in again from the file); bytes held in
    /// memory stay. A writer streaming a model calls it once a source file's last tensor is out. No buffer from
    /// `bytes(_:)` or `fileBytes` may be in use when it is called.
    public func unload() {
        if let deferred {
            deferred.unload()
        } else if fileMapping, length > 0 {
            madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_DONTNEED)
        }
    }

    /// The bytes of a file read on first use: loaded once, under a lock, and checked against the tensors the
    /// file was described with.
    private final class Deferred: @unchecked Sendable {
        private let lock = NSLock()
        private let load: @Sendable () throws -> SafeTensorsFile
        private var loaded: SafeTensorsFile?

        init(load: @escaping @Sendable () throws -> SafeTensorsFile) { self.load = load }

        func file(describedBy owner: SafeTensorsFile) throws -> SafeTensorsFile {
            try lock.withLock {
                if let loaded { return loaded }
                let file = try load()
                for (expected, actual) in zip(owner.tensors, file.tensors) where expected != actual {
                    throw SafeTensorsError.invalidTensorEntry(
                        path: owner.path, tensor: expected.name, field: "dtype, shape and offsets",
                        reason: "are not those it was described with before it was read")
                }
                guard file.tensors.count == owner.tensors.count else {
                    throw SafeTensorsError.invalidTensorEntry(
                        path: owner.path, tensor: owner.tensors.first?.name ?? "", field: "tensors",
                        reason: "the file holds \(file.tensors.count) tensors, \(owner.tensors.count) were described")
                }
                loaded = file
                return file
            }
        }

        func unload() { lock.withLock { loaded = nil } }
    }

    /// The values of a floating-point tensor widened to `Float` (F16 and BF16 are converted exactly).
    public func floats(_ name: String) throws -> [Float] {
        let entry = try info(name)
        let raw = try bytes(name)
        switch entry.dtype {
        case .f32: return DTypeConversion.floats(fromF32: raw)
        case .f16: return DTypeConversion.floats(fromF16: raw)
        case .bf16: return DTypeConversion.floats(fromBF16: raw)
        case .i64, .u8:
            throw SafeTensorsError.wrongDType(
                path: path, tensor: name, expected: "a floating-point type", actual: entry.dtype)
        }
    }

    /// The values of an I64 tensor.
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        guard entry.dtype == .i64 else {
            throw SafeTensorsError.wrongDType(path: path, tensor: name, expected: "I64", actual: entry.dtype)
        }
        let raw = try bytes(name)
        return (0..<entry.elementCount).map {
            Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))
        }
    }
}

/// A validated safetensors header: the tensors, metadata and data offset of a file whose size is known,
/// checked without its data (so an archive entry can be judged from its first bytes while it streams).
///
/// The checks are `SafeTensorsFile`'s, in order: file size, header length bound, header within the file,
/// UTF-8, JSON with no duplicate keys, each entry's dtype, shape and offsets with overflow-checked arithmetic,
/// offsets contiguous from 0, and data covering the rest of the file exactly.
public struct SafeTensorsHeader: Sendable {
    /// Tensors in data order.
    public let tensors: [TensorInfo]
    /// The string-to-string `__metadata__`, empty when absent.
    public let metadata: [String: String]
    /// Bytes before the data: 8 plus the header length.
    public let dataStart: Int

    /// The header length the first 8 bytes of a file declare (nil when fewer than 8 are given); the file's
    /// first 8 + that many bytes are what `init(prefix:fileSize:path:)` needs.
    public static func declaredLength(_ firstBytes: UnsafeRawBufferPointer) -> UInt64? {
        firstBytes.count >= 8 ? UInt64(littleEndian: firstBytes.loadUnaligned(as: UInt64.self)) : nil
    }

    /// Validates the header at the start of `prefix`, the first bytes (at least 8 + the declared header
    /// length, or the whole file when it is shorter) of a file of `fileSize` bytes; `path` labels errors.
    /// - Throws: `SafeTensorsError` naming the file and what is wrong.
    public init(prefix: UnsafeRawBufferPointer, fileSize: Int, path: String) throws {
        guard fileSize >= 8, let headerSize = Self.declaredLength(prefix) else {
            throw SafeTensorsError.fileTooSmall(path: path, size: min(fileSize, prefix.count))
        }
        guard headerSize <= UInt64(SafeTensorsFile.headerLimit) else {
            throw SafeTensorsError.headerTooLarge(path: path, size: headerSize, limit: SafeTensorsFile.headerLimit)
        }
        guard headerSize <= UInt64(fileSize - 8), 8 + Int(headerSize) <= prefix.count else {
            throw SafeTensorsError.headerOutOfBounds(path: path, headerSize: headerSize, fileSize: fileSize)
        }
        let header = UnsafeRawBufferPointer(rebasing: prefix[8..<(8 + Int(headerSize))])
        guard String(validating: header, as: UTF8.self) != nil else { throw SafeTensorsError.headerNotUTF8(path: path) }
        let json: StrictJSON
        do { json = try StrictJSON.parse(header) } catch let failure as StrictJSON.Failure {
            switch failure {
            case .syntax(let offset, let reason):
                throw SafeTensorsError.invalidHeaderJSON(path: path, offset: offset, reason: reason)
            case .duplicateKey(let key, _): throw SafeTensorsError.duplicateKey(path: path, key: key)
            }
        }
        guard case .object(let members) = json else {
            throw SafeTensorsError.invalidHeaderJSON(path: path, offset: 0, reason: "the header must be a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [TensorInfo] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
            } else {
                entries.append(try Self.parseEntry(name: name, value: value, path: path))
            }
        }
        entries.sort {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound)
        }
        let dataBytes = fileSize - 8 - Int(headerSize)
        var next = 0
        for entry in entries {
            guard entry.dataRange.lowerBound == next else {
                throw SafeTensorsError.offsetsNotContiguous(
                    path: path, tensor: entry.name, expectedBegin: next, actualBegin: entry.dataRange.lowerBound)
            }
            next = entry.dataRange.upperBound
        }
        guard next == dataBytes else {
            throw SafeTensorsError.dataNotCovered(path: path, dataBytes: dataBytes, coveredBytes: next)
        }
        self.tensors = entries
        self.metadata = metadata
        self.dataStart = 8 + Int(headerSize)
    }

    private static func parseMetadata(_ value: StrictJSON, path: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw SafeTensorsError.invalidMetadata(path: path, key: nil, reason: "must be an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw SafeTensorsError.invalidMetadata(path: path, key: key, reason: "must be a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, value: StrictJSON, path: String) throws -> TensorInfo {
        func bad(_ field: String, _ reason: String) -> SafeTensorsError {
            .invalidTensorEntry(path: path, tensor: name, field: field, reason: reason)
        }
        guard case .object(let fields) = value else {
            throw bad("(entry)", "must be an object with dtype, shape and data_offsets")
        }
        func field(_ key: String) throws -> StrictJSON {
            guard let found = fields.first(where: { $0.key == key }) else { throw bad(key, "is missing") }
            return found.value
        }
        if let extra = fields.first(where: { !["dtype", "shape", "data_offsets"].contains($0.key) }) {
            throw bad(extra.key, "is not a field of a tensor entry")
        }
        guard case .string(let dtypeName) = try field("dtype") else { throw bad("dtype", "must be a string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        func naturals(_ key: String) throws -> [Int] {
            guard case .array(let items) = try field(key) else {
                throw bad(key, "must be an array of non-negative integers")
            }
            return try items.map { item in
                guard case .number(let text) = item, let n = Int(text), n >= 0 else {
                    throw bad(key, "must be an array of non-negative integers")
                }
                return n
            }
        }
        let shape = try naturals("shape")
        let offsets = try naturals("data_offsets")
        guard offsets.count == 2 else { throw bad("data_offsets", "must hold exactly [begin, end]") }
        guard offsets[0] <= offsets[1] else {
            throw bad("data_offsets", "begin \(offsets[0]) is past end \(offsets[1])")
        }
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            if overflow { throw SafeTensorsError.sizeOverflow(path: path, tensor: name) }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw SafeTensorsError.sizeOverflow(path: path, tensor: name) }
        guard byteCount == offsets[1] - offsets[0] else {
            throw SafeTensorsError.sizeMismatch(
                path: path, tensor: name, expectedBytes: byteCount, actualBytes: offsets[1] - offsets[0])
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: offsets[0]..<offsets[1])
    }
}
