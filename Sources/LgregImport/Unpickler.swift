import Foundation
import LgregCore

/// Element types a PyTorch storage can hold, by the `torch.*Storage` global that names them.
public enum TorchDType: String, Sendable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// The storage type `torch.save` names for this element type (`FloatStorage`); `UntypedStorage` holds bytes.
    init?(storageType name: String) {
        switch name {
        case "DoubleStorage": self = .f64
        case "FloatStorage": self = .f32
        case "HalfStorage": self = .f16
        case "BFloat16Storage": self = .bf16
        case "LongStorage": self = .i64
        case "IntStorage": self = .i32
        case "ShortStorage": self = .i16
        case "CharStorage": self = .i8
        case "ByteStorage", "UntypedStorage": self = .u8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }
}

/// A storage a checkpoint's pickle refers to through `persistent_load`: `data/<key>` in the zip.
public struct TorchStorage: Equatable, Sendable {
    /// The key of its `data/<key>` entry.
    public var key: String
    /// Its element type.
    public var dtype: TorchDType
    /// Elements it holds.
    public var count: Int
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage, checked against it.
public struct TorchTensor: Equatable, Sendable {
    /// The storage it views.
    public var storage: TorchStorage
    /// First element, in storage elements.
    public var offset: Int
    /// Shape, outermost first.
    public var shape: [Int]
    /// Strides in elements.
    public var strides: [Int]

    /// Elements in the tensor.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Whether its elements lie one after another in row-major order.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }
}

/// A value the restricted unpickler built. Containers are reference types, as Python's are, so a memo
/// reference sees the same list or dict.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tuple and the nesting depth of its containers, computed once when it is built.
    case tuple([PickleValue], depth: Int)
    case list(PickleContainer)
    case dict(PickleContainer)
    /// A global the unpickler knows (`collections.OrderedDict`, a `torch.*Storage` type) or one it keeps only by
    /// name, never importing or calling it.
    case global(module: String, name: String)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    /// What an unknown global would have built (`argparse.Namespace`, a numpy scalar): its name only.
    case opaque(String)

    /// A short name of the value's kind, for messages.
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let module, let name): return "global \(module).\(name)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .opaque(let name): return "opaque \(name)"
        }
    }

    /// The nesting depth of containers inside this value (0 for a scalar).
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let box), .dict(let box): return box.depth
        default: return 0
        }
    }
}

/// A list's items or a dict's pairs in insertion order. Once placed inside another container it is sealed:
/// `torch.save` never fills a container after nesting it, and refusing that keeps the depth exact and rules
/// out cycles.
public final class PickleContainer {
    /// List items.
    public internal(set) var items: [PickleValue] = []
    /// Dict pairs, in insertion order (a later duplicate key replaces the earlier value, as in Python).
    public internal(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
    /// 1 + the depth of the deepest child.
    var depth = 1
    /// Set once the container is inside another.
    var sealed = false

    init() {}

    /// The dict's string keys in order (others omitted).
    public var stringKeys: [String] {
        pairs.compactMap { if case .string(let key) = $0.key { return key } else { return nil } }
    }

    /// The value under string key `key`.
    public subscript(key: String) -> PickleValue? {
        pairs.last { if case .string(let k) = $0.key { return k == key } else { return false } }?.value
    }
}

/// A restricted unpickler for what `torch.save` writes: it builds values and never imports, calls or executes
/// anything. It accepts the opcodes of protocols 2 to 5 that a checkpoint needs (`docs/import.md` lists them),
/// rebuilds tensors only through `torch._utils._rebuild_tensor_v2` and `_rebuild_parameter`, dicts through
/// `collections.OrderedDict`, and storages through `persistent_load` records; any other global becomes an
/// `opaque` value, except those whose module can run code (`os`, `builtins`, `subprocess`, …), which are refused.
struct Unpickler {
    /// Modules whose globals can execute code or reach the system: a pickle naming one is an attack.
    static let forbiddenModules: Set<String> = [
        "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "socket", "importlib",
        "runpy", "pickle", "_pickle", "marshal", "types", "code", "codeop", "ctypes", "pty", "operator",
        "functools", "webbrowser", "io", "codecs", "pdb", "timeit", "platform", "multiprocessing", "asyncio",
        "signal", "tempfile", "glob", "shelve", "dill", "commands", "popen2", "threading", "_thread", "inspect",
    ]

    let bytes: [UInt8]
    let label: String
    let limits: ImportLimits
    /// Storage entry sizes by key, to check each `persistent_load` record against its data.
    let storageSizes: [String: Int]

    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var opcodeStart = 0

    init(bytes: [UInt8], label: String, limits: ImportLimits, storageSizes: [String: Int]) {
        self.bytes = bytes
        self.label = label
        self.limits = limits
        self.storageSizes = storageSizes
    }

    private func malformed(_ reason: String) -> ImportError {
        .malformedPickle(path: label, offset: opcodeStart, reason: reason)
    }

    // MARK: Reading the stream

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else { throw malformed("the stream ends inside an argument") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func unsigned(_ count: Int) throws -> Int {
        let slice = try take(count)
        var value: UInt64 = 0
        for (i, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        guard value <= UInt64(Int.max) else { throw malformed("a length of \(value) bytes") }
        return Int(value)
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].prefix(1024).firstIndex(of: 0x0A) else {
            throw malformed("a GLOBAL name without its newline within 1024 bytes")
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private mutating func text(_ count: Int) throws -> String {
        let slice = try take(count)
        guard let text = String(validating: slice, as: UTF8.self) else { throw malformed("a string that is not UTF-8") }
        return text
    }

    // MARK: The stack

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.stackDepth else {
            throw ImportError.pickleLimit(path: label, offset: opcodeStart, what: "the stack", limit: limits.stackDepth)
        }
        guard value.depth <= limits.nesting else {
            throw ImportError.pickleLimit(
                path: label, offset: opcodeStart, what: "nesting of lists, tuples and dicts", limit: limits.nesting)
        }
        stack.append(value)
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return stack.removeLast()
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func top() throws -> PickleValue {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return last
    }

    /// Adds `children` to the container `target`, sealing each child container and keeping the depth exact.
    private func fill(_ target: PickleValue, _ children: [PickleValue], asPairs: Bool) throws {
        let box: PickleContainer
        switch target {
        case .list(let b) where !asPairs: box = b
        case .dict(let b) where asPairs: box = b
        case .opaque: return  // an unknown object's contents are dropped, never interpreted
        default: throw malformed("\(asPairs ? "SETITEM" : "APPEND") on a \(target.kindName)")
        }
        guard !box.sealed else { throw malformed("fills a container already inside another (torch.save never does)") }
        guard !asPairs || children.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
        for child in children {
            if case .list(let inner) = child {
                guard inner !== box else { throw malformed("a list inside itself") }
                inner.sealed = true
            }
            if case .dict(let inner) = child {
                guard inner !== box else { throw malformed("a dict inside itself") }
                inner.sealed = true
            }
            box.depth = max(box.depth, child.depth + 1)
        }
        guard box.depth <= limits.nesting else {
            throw ImportError.pickleLimit(
                path: label, offset: opcodeStart, what: "nesting of lists, tuples and dicts", limit: limits.nesting)
        }
        if asPairs {
            for i in stride(from: 0, to: children.count, by: 2) { box.pairs.append((children[i], children[i + 1])) }
        } else {
            box.items += children
        }
    }

    private func tuple(_ items: [PickleValue]) -> PickleValue {
        for case .list(let box) in items { box.sealed = true }
        for case .dict(let box) in items { box.sealed = true }
        return .tuple(items, depth: 1 + (items.map(\.depth).max() ?? 0))
    }

    // MARK: Globals

    /// A global, checked: refused when its module can run code, kept by name otherwise.
    private func global(_ module: String, _ name: String) throws -> PickleValue {
        let root = String(module.split(separator: ".").first ?? "")
        if Self.forbiddenModules.contains(root) || module.isEmpty || name.isEmpty {
            throw ImportError.forbiddenGlobal(path: label, offset: opcodeStart, module: module, name: name)
        }
        return .global(module: module, name: name)
    }

    /// What calling `callable` with `arguments` (REDUCE, NEWOBJ) gives: a rebuilt tensor or dict for the
    /// whitelisted globals, an opaque value for any other global, which is never called.
    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable else {
            throw malformed("calls a \(callable.kindName), not a global")
        }
        guard case .tuple(let args, _) = arguments else {
            throw malformed("calls \(module).\(name) with a \(arguments.kindName), not a tuple")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            guard args.isEmpty else { throw malformed("collections.OrderedDict called with arguments") }
            return .dict(PickleContainer())
        case ("torch._utils", "_rebuild_tensor_v2"):
            return .tensor(try rebuildTensor(args))
        case ("torch._utils", "_rebuild_parameter"):
            guard args.count == 3, case .tensor(let tensor) = args[0] else {
                throw malformed("torch._utils._rebuild_parameter needs (tensor, requires_grad, hooks)")
            }
            return .tensor(tensor)
        default:
            return .opaque("\(module).\(name)")
        }
    }

    private func int(_ value: PickleValue, _ what: String) throws -> Int {
        guard case .int(let n) = value else { throw malformed("\(what) is a \(value.kindName), not an int") }
        return n
    }

    private func ints(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let items, _) = value else { throw malformed("\(what) is a \(value.kindName), not a tuple") }
        return try items.map { try int($0, what) }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`,
    /// checked: every index the view can reach lies inside the storage.
    private func rebuildTensor(_ args: [PickleValue]) throws -> TorchTensor {
        guard (6...7).contains(args.count), case .storage(let storage) = args[0] else {
            throw malformed(
                "torch._utils._rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, hooks)")
        }
        let name = "data/\(storage.key)"
        let offset = try int(args[1], "the storage offset")
        let shape = try ints(args[2], "the size")
        let strides = try ints(args[3], "the stride")
        func refuse(_ reason: String) -> ImportError { .invalidTensor(path: label, tensor: name, reason: reason) }
        guard shape.count == strides.count, shape.count <= 16 else {
            throw refuse("has \(shape.count) sizes and \(strides.count) strides")
        }
        guard offset >= 0, offset <= storage.count else {
            throw refuse("storage offset \(offset) lies past the storage's \(storage.count) elements")
        }
        guard !shape.contains(where: { $0 < 0 }), !strides.contains(where: { $0 < 0 }) else {
            throw refuse("has a negative size or stride: \(shape), \(strides)")
        }
        var count = 1
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw refuse("size \(shape) overflows") }
            count = product
            if size > 0 {
                let (reach, o1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(reach)
                guard !o1, !o2 else { throw refuse("size \(shape) with stride \(strides) overflows") }
                last = sum
            }
        }
        guard count == 0 || last < storage.count else {
            throw refuse(
                "\(count) elements of size \(shape), stride \(strides) from offset \(offset) reach element \(last), past the storage's \(storage.count)"
            )
        }
        return TorchTensor(storage: storage, offset: offset, shape: shape, strides: strides)
    }

    /// A `persistent_load` record: `('storage', torch.<Type>Storage, key, location, numel)`, checked against its entry.
    private func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let fields, _) = id, fields.count == 5, case .string("storage") = fields[0],
            case .global(let module, let typeName) = fields[1], case .string(let key) = fields[2]
        else {
            throw malformed("a persistent id that is not ('storage', type, key, location, numel)")
        }
        guard module == "torch" || module == "torch.storage", let dtype = TorchDType(storageType: typeName) else {
            throw malformed("unknown storage type \(Quoted.name(module + "." + typeName))")
        }
        let count = try int(fields[4], "the storage's element count")
        let entry = "data/\(key)"
        guard let size = storageSizes[key] else { throw ImportError.missingEntry(path: label, entry: entry) }
        guard count >= 0, count <= size / dtype.byteSize else {
            throw ImportError.invalidTensor(
                path: label, tensor: entry,
                reason: "storage declares \(count) \(dtype.rawValue) elements, its entry holds \(size) bytes")
        }
        return .storage(TorchStorage(key: key, dtype: dtype, count: count))
    }

    // MARK: The machine

    /// Runs the pickle to its STOP and returns the value it built.
    mutating func load() throws -> PickleValue {
        while true {
            opcodeStart = position
            guard position < bytes.count else { throw malformed("the stream ends before STOP") }
            let op = bytes[position]
            position += 1
            switch op {
            case 0x80:  // PROTO
                let proto = try unsigned(1)
                guard (2...5).contains(proto) else { throw malformed("protocol \(proto); torch.save writes 2 to 5") }
            case 0x95: _ = try unsigned(8)  // FRAME: a length hint only
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4B: try push(.int(try unsigned(1)))  // BININT1
            case 0x4D: try push(.int(try unsigned(2)))  // BININT2
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8A:  // LONG1
                let count = try unsigned(1)
                guard count <= 8 else { throw malformed("an integer of \(count) bytes") }
                let slice = try take(count)
                var value: UInt64 = 0
                for (i, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
                if count > 0, count < 8, slice.last! & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
                try push(.int(Int(Int64(bitPattern: value))))
            case 0x47:  // BINFLOAT, big-endian
                let slice = try take(8)
                try push(.float(Double(bitPattern: slice.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x58: try push(.string(try text(try unsigned(4))))  // BINUNICODE
            case 0x8C: try push(.string(try text(try unsigned(1))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try unsigned(8))))  // BINUNICODE8
            case 0x42: try push(.bytes(Array(try take(try unsigned(4)))))  // BINBYTES
            case 0x43: try push(.bytes(Array(try take(try unsigned(1)))))  // SHORT_BINBYTES
            case 0x8E: try push(.bytes(Array(try take(try unsigned(8)))))  // BINBYTES8
            case 0x54: try push(.bytes(Array(try take(try unsigned(4)))))  // BINSTRING
            case 0x55: try push(.bytes(Array(try take(try unsigned(1)))))  // SHORT_BINSTRING
            case 0x29: try push(tuple([]))  // EMPTY_TUPLE
            case 0x85: try push(tuple([try pop()]))  // TUPLE1
            case 0x86:
                let b = try pop()
                let a = try pop()
                try push(tuple([a, b]))  // TUPLE2
            case 0x87:
                let c = try pop()
                let b = try pop()
                let a = try pop()
                try push(tuple([a, b, c]))  // TUPLE3
            case 0x74: try push(tuple(try popMark()))  // TUPLE
            case 0x5D, 0x8F: try push(.list(PickleContainer()))  // EMPTY_LIST, EMPTY_SET
            case 0x7D: try push(.dict(PickleContainer()))  // EMPTY_DICT
            case 0x6C:  // LIST
                let items = try popMark()
                let list = PickleValue.list(PickleContainer())
                try fill(list, items, asPairs: false)
                try push(list)
            case 0x64:  // DICT
                let items = try popMark()
                let dict = PickleValue.dict(PickleContainer())
                try fill(dict, items, asPairs: true)
                try push(dict)
            case 0x91: try push(tuple(try popMark()))  // FROZENSET, kept as a tuple
            case 0x61:
                let item = try pop()
                try fill(try top(), [item], asPairs: false)  // APPEND
            case 0x65, 0x90:
                let items = try popMark()
                try fill(try top(), items, asPairs: false)  // APPENDS, ADDITEMS
            case 0x73:
                let value = try pop()
                let key = try pop()
                try fill(try top(), [key, value], asPairs: true)  // SETITEM
            case 0x75:
                let items = try popMark()
                try fill(try top(), items, asPairs: true)  // SETITEMS
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try top())  // DUP
            case 0x71: try remember(try unsigned(1))  // BINPUT
            case 0x72: try remember(try unsigned(4))  // LONG_BINPUT
            case 0x94: try remember(memo.count)  // MEMOIZE
            case 0x68: try recall(try unsigned(1))  // BINGET
            case 0x6A: try recall(try unsigned(4))  // LONG_BINGET
            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                try push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                try push(try global(m, n))
            case 0x52:
                let args = try pop()
                let callable = try pop()
                try push(try call(callable, args))  // REDUCE
            case 0x81:
                let args = try pop()
                let cls = try pop()
                try push(try call(cls, args))  // NEWOBJ
            case 0x92:
                _ = try pop()
                let args = try pop()
                let cls = try pop()
                try push(try call(cls, args))  // NEWOBJ_EX
            case 0x62:  // BUILD: state is dropped (an OrderedDict's _metadata, an unknown object's fields)
                let state = try pop()
                let target = try top()
                switch target {
                case .dict, .opaque, .tensor: _ = state
                default: throw malformed("BUILD on a \(target.kindName)")
                }
            case 0x51: try push(try persistentLoad(try pop()))  // BINPERSID
            default:
                throw ImportError.unsupportedOpcode(path: label, offset: opcodeStart, opcode: op)
            }
        }
    }

    private mutating func remember(_ index: Int) throws {
        guard memo.count < limits.memoEntries || memo[index] != nil else {
            throw ImportError.pickleLimit(path: label, offset: opcodeStart, what: "the memo", limit: limits.memoEntries)
        }
        memo[index] = try top()
    }

    private mutating func recall(_ index: Int) throws {
        guard let value = memo[index] else { throw malformed("memo reference \(index) refers to nothing") }
        try push(value)
    }
}
