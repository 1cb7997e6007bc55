import Foundation
import LgregCore
import SafeTensors

#if canImport(Glibc)
    import Glibc
#endif

/// A model's tensors as a checkpoint holds them, read without Python: a PyTorch zip checkpoint (`.pth`, `.pt`,
/// `.bin`) through the restricted unpickler, or a safetensors file. Immutable once opened, so any thread may read it.
///
/// ```swift
/// let checkpoint = try Checkpoint.open(path: "checkpoint.pth", key: "model")
/// let bytes = try checkpoint.bytes("pos_embed", as: .f32)   // row-major, converted
/// ```
public final class Checkpoint: @unchecked Sendable {
    /// One tensor of the chosen state dict.
    public struct Tensor: Equatable, Sendable {
        /// Its key in the state dict.
        public var name: String
        /// Its stored element type (`F32`, `F16`, `BF16`, …).
        public var dtype: TorchDType
        /// Its shape.
        public var shape: [Int]
    }

    /// One top-level entry of a checkpoint dict, for `--inspect`.
    public struct Entry: Equatable, Sendable {
        /// The key.
        public var key: String
        /// What it holds (`dict of 152 tensors`, `int`, `opaque argparse.Namespace`).
        public var summary: String
    }

    /// The file as errors name it.
    public let label: String
    /// The checkpoint key the tensors came from; nil for a bare state dict or a safetensors file.
    public let key: String?
    /// The state dict's tensors, in file order.
    public let tensors: [Tensor]
    /// The checkpoint's top-level entries (empty for a bare state dict and for safetensors).
    public let entries: [Entry]

    private let storages: [String: UnsafeRawBufferPointer]
    private let memory: StorageMemory?
    private let views: [String: TorchTensor]
    private let safeTensors: SafeTensorsFile?

    private init(
        label: String, key: String?, tensors: [Tensor], entries: [Entry], storages: [String: UnsafeRawBufferPointer],
        memory: StorageMemory?, views: [String: TorchTensor], safeTensors: SafeTensorsFile?
    ) {
        self.label = label
        self.key = key
        self.tensors = tensors
        self.entries = entries
        self.storages = storages
        self.memory = memory
        self.views = views
        self.safeTensors = safeTensors
    }

    /// Keys the official training scripts save a model's state dict under, in the order tried when `key` is nil.
    public static let modelKeys = ["model", "state_dict", "model_ema"]

    /// Opens the checkpoint at `path`. For a checkpoint dict, `key` picks the state dict (`model`, `model_ema`);
    /// without it, a bare state dict is used as it is, else the first of `modelKeys` present.
    /// - Throws: `ImportError` naming the file and what is wrong; `FileSystemError` when it cannot be read.
    public static func open(
        path: String, key: String? = nil, limits: ImportLimits = ImportLimits(), label: String? = nil
    ) throws -> Checkpoint {
        let label = label ?? path
        let head = try firstBytes(path, count: 16)
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return try openZip(path: path, key: key, limits: limits, label: label)
        }
        if head.first == 0x80 { throw ImportError.legacyFormat(path: label) }
        if head.count >= 9, head[head.startIndex + 8] == UInt8(ascii: "{") {
            if let key {
                throw ImportError.invalidOption(
                    option: "--key \(Quoted.name(key))",
                    reason: "a safetensors file holds one state dict; leave --key out")
            }
            let file = try SafeTensorsFile(path: path)
            let tensors = try file.tensors.map { info -> Tensor in
                guard let dtype = TorchDType(rawValue: info.dtype.rawValue) else {
                    throw ImportError.invalidTensor(
                        path: label, tensor: info.name, reason: "has dtype \(info.dtype.rawValue)")
                }
                return Tensor(name: info.name, dtype: dtype, shape: info.shape)
            }
            return Checkpoint(
                label: label, key: nil, tensors: tensors, entries: [], storages: [:], memory: nil, views: [:],
                safeTensors: file)
        }
        throw ImportError.unknownFormat(
            path: label, reason: "it starts with neither a zip header (PK\\3\\4) nor a safetensors header")
    }

    /// Up to `count` bytes from the start of the regular file at `path`.
    private static func firstBytes(_ path: String, count: Int) throws -> [UInt8] {
        let file = try RegularFile(path: path)
        var head = [UInt8](repeating: 0, count: min(count, file.size))
        let n = head.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw FileSystemError(path: path, operation: "read") }
        return Array(head.prefix(n))
    }

    private static func openZip(path: String, key: String?, limits: ImportLimits, label: String) throws -> Checkpoint {
        let zip = try TorchZip.read(path: path, label: label, limits: limits)
        var unpickler = Unpickler(
            bytes: zip.pickle, label: label, limits: limits, storageSizes: zip.storages.mapValues(\.count))
        let root = try unpickler.load()
        guard case .dict(let top) = root else {
            throw ImportError.missingKey(
                path: label, key: key ?? "model", available: ["(the checkpoint holds a \(root.kindName), not a dict)"])
        }
        var entries: [Entry] = []
        var chosen = top
        var chosenKey: String?
        if !isStateDict(top) {
            entries = top.pairs.map { Entry(key: describeKey($0.key), summary: summarize($0.value)) }
            let wanted = key ?? modelKeys.first { top[$0] != nil }
            guard let wanted, case .dict(let inner)? = top[wanted] else {
                throw ImportError.missingKey(path: label, key: key ?? "model", available: entries.map(\.key))
            }
            chosen = inner
            chosenKey = wanted
        } else if let key {
            throw ImportError.missingKey(path: label, key: key, available: ["(a bare state dict: leave --key out)"])
        }
        var tensors: [Tensor] = []
        var views: [String: TorchTensor] = [:]
        for (k, value) in chosen.pairs {
            let name = describeKey(k)
            guard case .tensor(let view) = value else {
                throw ImportError.invalidTensor(
                    path: label, tensor: name, reason: "is a \(value.kindName), not a tensor")
            }
            guard views.updateValue(view, forKey: name) == nil else {
                throw ImportError.invalidTensor(path: label, tensor: name, reason: "appears twice")
            }
            tensors.append(Tensor(name: name, dtype: view.storage.dtype, shape: view.shape))
        }
        return Checkpoint(
            label: label, key: chosenKey, tensors: tensors, entries: entries, storages: zip.storages,
            memory: zip.memory, views: views, safeTensors: nil)
    }

    /// Whether every value of the dict is a tensor (a bare `state_dict()`).
    private static func isStateDict(_ dict: PickleContainer) -> Bool {
        !dict.pairs.isEmpty
            && dict.pairs.allSatisfy { if case .tensor = $0.value { return true } else { return false } }
    }

    private static func describeKey(_ key: PickleValue) -> String {
        switch key {
        case .string(let s): return s
        case .int(let n): return String(n)
        default: return "(\(key.kindName))"
        }
    }

    private static func summarize(_ value: PickleValue) -> String {
        switch value {
        case .dict(let box):
            let tensors = box.pairs.filter { if case .tensor = $0.value { return true } else { return false } }.count
            return tensors == box.pairs.count && tensors > 0
                ? "state dict of \(tensors) tensors" : "dict of \(box.pairs.count) entries"
        case .list(let box): return "list of \(box.items.count)"
        case .int(let n): return "int \(n)"
        case .float(let x): return "float \(x)"
        case .string(let s): return "str '\(Quoted.name(s, limit: 60))'"
        default: return value.kindName
        }
    }

    /// The SHA-256 of the whole checkpoint file, hashed from the mapping `open` made (no copy through a read
    /// buffer), 1 MiB at a time, each mebibyte's pages let go once hashed.
    public func fileDigest() -> Digest {
        let bytes = memory?.mapping ?? safeTensors?.fileBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        var hasher = Digest.Hasher()
        var offset = 0
        while offset < bytes.count {
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + (1 << 20), bytes.count)])
            hasher.update(chunk)
            memory?.release(chunk)
            offset += chunk.count
        }
        return hasher.finalize()
    }

    /// The tensor's elements in row-major order as `dtype` bytes (F32, F16 or BF16): a copy of what `withBytes`
    /// hands over.
    /// - Throws: `ImportError.invalidTensor` for a tensor that is not floating point.
    public func bytes(_ name: String, as dtype: DType) throws -> [UInt8] {
        try withBytes(name, as: dtype) { Array($0) }
    }

    /// Calls `body` with the tensor's elements in row-major order as `dtype` bytes (F32, F16 or BF16), valid only
    /// during the call: the checkpoint's own bytes, not copied, when the tensor is contiguous and already `dtype`
    /// (the usual case); otherwise gathered and converted, as lgreg converts, into one tensor-sized buffer.
    /// - Throws: `ImportError.invalidTensor` for a tensor that is not floating point; whatever `body` throws.
    public func withBytes<R>(_ name: String, as dtype: DType, _ body: (UnsafeRawBufferPointer) throws -> R) throws
        -> R
    {
        if let safeTensors {
            let info = try safeTensors.info(name)
            if info.dtype == dtype { return try body(try safeTensors.bytes(name)) }
            return try DTypeConversion.bytes(try safeTensors.floats(name), as: dtype).withUnsafeBytes(body)
        }
        guard let view = views[name], let storage = storages[view.storage.key] else {
            throw ImportError.invalidTensor(path: label, tensor: name, reason: "is not in the state dict")
        }
        let source = view.storage.dtype
        let size = source.byteSize
        if view.isContiguous, source.rawValue == dtype.rawValue {
            let bytes = UnsafeRawBufferPointer(
                rebasing: storage[(view.offset * size)..<((view.offset + view.elementCount) * size)])
            defer { memory?.release(bytes) }
            return try body(bytes)
        }
        var raw: [UInt8]
        if view.isContiguous {
            raw = Array(storage[(view.offset * size)..<((view.offset + view.elementCount) * size)])
        } else {
            raw = [UInt8](repeating: 0, count: view.elementCount * size)
            var index = [Int](repeating: 0, count: view.shape.count)
            raw.withUnsafeMutableBytes { out in
                for element in 0..<view.elementCount {
                    var at = view.offset
                    for (i, stride) in zip(index, view.strides) { at += i * stride }
                    out.baseAddress!.advanced(by: element * size).copyMemory(
                        from: storage.baseAddress!.advanced(by: at * size), byteCount: size)
                    var axis = view.shape.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < view.shape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        if source.rawValue == dtype.rawValue { return try raw.withUnsafeBytes(body) }
        let floats: [Float] = try raw.withUnsafeBytes { buffer in
            switch source {
            case .f32: return DTypeConversion.floats(fromF32: buffer)
            case .f16: return DTypeConversion.floats(fromF16: buffer)
            case .bf16: return DTypeConversion.floats(fromBF16: buffer)
            case .f64:
                return (0..<(buffer.count / 8)).map {
                    Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))))
                }
            default:
                throw ImportError.invalidTensor(
                    path: label, tensor: name,
                    reason: "has dtype \(source.rawValue); a learngene holds floating-point tensors")
            }
        }
        return try DTypeConversion.bytes(floats, as: dtype).withUnsafeBytes(body)
    }
}
