import LgregCore

/// Everything that can be wrong with a checkpoint `lgreg import` reads, one case per failure.
///
/// Every case names the file (`path`) and, where one is to blame, the zip entry, the pickle position or the
/// tensor, so a message reads `checkpoint.pth: entry 'archive/data.pkl' at byte 41: global 'os.system' refused`.
/// Strings taken from the file are quoted through `Quoted.name` (at most a few hundred characters).
public enum ImportError: Error, Equatable, CustomStringConvertible {
    /// The file is a pre-1.6 (legacy, not zip) `torch.save` file.
    case legacyFormat(path: String)
    /// The file is neither a PyTorch zip checkpoint nor a safetensors file.
    case unknownFormat(path: String, reason: String)
    /// libarchive could not read the zip (truncated, corrupt, no central directory).
    case unreadableZip(path: String, reason: String)
    /// A zip entry's name is absolute, holds `..` or an empty component, or is not under one top folder.
    case unsafeEntry(path: String, entry: String)
    /// A zip entry is a symbolic link or another kind of file than a regular one.
    case notARegularFile(path: String, entry: String, type: String)
    /// A zip entry appears twice.
    case duplicateEntry(path: String, entry: String)
    /// An entry `torch.save` writes is absent (`data.pkl`, a storage's `data/<key>`).
    case missingEntry(path: String, entry: String)
    /// An entry is larger than lgreg accepts (a declared 1 GB `data.pkl`, an entry larger than the file).
    case entryTooLarge(path: String, entry: String, size: Int, limit: Int)
    /// `byteorder` says something other than `little`.
    case unsupportedByteOrder(path: String, found: String)
    /// The pickle uses an opcode the restricted unpickler does not accept.
    case unsupportedOpcode(path: String, offset: Int, opcode: UInt8)
    /// The pickle names a global that can run code (`os.system`, `builtins.eval`, …): refused outright.
    case forbiddenGlobal(path: String, offset: Int, module: String, name: String)
    /// The pickle is malformed: a memo reference to nothing, a stack underflow, an argument of the wrong type, a
    /// truncated stream.
    case malformedPickle(path: String, offset: Int, reason: String)
    /// The pickle passes a bound: stack size, memo size, nesting depth, string length.
    case pickleLimit(path: String, offset: Int, what: String, limit: Int)
    /// A tensor record is inconsistent with its storage (offset past the data, more elements than stored,
    /// an unknown storage type).
    case invalidTensor(path: String, tensor: String, reason: String)
    /// `--key` names nothing in the checkpoint, or no state dict is found where one is needed.
    case missingKey(path: String, key: String, available: [String])
    /// The checkpoint's keys do not fit the layout asked for (a missing or extra tensor, a shape that disagrees).
    case layoutMismatch(path: String, layout: String, tensor: String, reason: String)
    /// An option contradicts the checkpoint (a schedule whose stage count differs from the instances found).
    case invalidOption(option: String, reason: String)

    public var description: String {
        func q(_ text: String) -> String { "'\(Quoted.name(text))'" }
        switch self {
        case .legacyFormat(let path):
            return
                "\(path): a legacy (pre-1.6, not zip) torch.save file; lgreg reads the zip format only. Re-save it with "
                + "PyTorch: torch.save(torch.load(f, map_location='cpu', weights_only=True), 'new.pth')"
        case .unknownFormat(let path, let reason):
            return "\(path): not a PyTorch zip checkpoint or a safetensors file: \(reason)"
        case .unreadableZip(let path, let reason):
            return "\(path): not a readable zip checkpoint: \(Quoted.name(reason))"
        case .notARegularFile(let path, let entry, let type):
            return "\(path): entry \(q(entry)): a \(type) refused; a checkpoint holds regular files only"
        case .unsafeEntry(let path, let entry):
            return
                "\(path): entry \(q(entry)): unsafe name (absolute, '..', empty component, or outside the checkpoint's folder)"
        case .duplicateEntry(let path, let entry): return "\(path): entry \(q(entry)): appears twice"
        case .missingEntry(let path, let entry): return "\(path): entry \(q(entry)) is missing"
        case .entryTooLarge(let path, let entry, let size, let limit):
            return "\(path): entry \(q(entry)): declares \(size) bytes, more than the limit of \(limit)"
        case .unsupportedByteOrder(let path, let found):
            return "\(path): byteorder is \(q(found)); lgreg reads little-endian checkpoints only"
        case .unsupportedOpcode(let path, let offset, let opcode):
            return
                "\(path): data.pkl at byte \(offset): opcode 0x\(String(opcode, radix: 16)) is not one torch.save emits; refused"
        case .forbiddenGlobal(let path, let offset, let module, let name):
            return
                "\(path): data.pkl at byte \(offset): global \(q(module + "." + name)) can run code; refused (nothing was executed)"
        case .malformedPickle(let path, let offset, let reason): return "\(path): data.pkl at byte \(offset): \(reason)"
        case .pickleLimit(let path, let offset, let what, let limit):
            return "\(path): data.pkl at byte \(offset): \(what) passes the limit of \(limit)"
        case .invalidTensor(let path, let tensor, let reason): return "\(path): tensor \(q(tensor)): \(reason)"
        case .missingKey(let path, let key, let available):
            return
                "\(path): no \(q(key)) in the checkpoint; its top-level keys: \(Quoted.name(available.joined(separator: ", ")))"
        case .layoutMismatch(let path, let layout, let tensor, let reason):
            return "\(path): layout \(layout): tensor \(q(tensor)) \(reason)"
        case .invalidOption(let option, let reason): return "\(option): \(reason)"
        }
    }
}
