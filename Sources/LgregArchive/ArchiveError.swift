import LgregCore
import SafeTensors

/// Everything that can be wrong with a `.lgz` learngene archive or its manifest, one case per failure.
///
/// Every case names the archive (`path`) and, where one is to blame, the entry inside it, so a message reads
/// `aux-b.lgz: entry 'layers/2.safetensors': tensor 'mlp.fc1.weight' has shape [3072, 768], the architecture
/// needs [3072, 384]`.
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    /// libarchive could not open or decode the archive (not a tar, unknown compression, truncated).
    case unreadable(path: String, reason: String)
    /// An entry's path is absolute, contains `..`, or is otherwise not a plain relative path.
    case unsafePath(path: String, entry: String)
    /// An entry is a symbolic link.
    case symlink(path: String, entry: String, target: String)
    /// An entry is a hard link to another entry.
    case hardLink(path: String, entry: String, target: String)
    /// An entry is a device, FIFO, socket or another type that is neither a file nor a directory.
    case specialFile(path: String, entry: String, type: String)
    /// An entry's name appears twice.
    case duplicateEntry(path: String, entry: String)
    /// An entry the manifest does not list.
    case unexpectedEntry(path: String, entry: String)
    /// The first entry is not `manifest.json`, or the archive has none.
    case missingManifest(path: String, firstEntry: String?)
    /// The manifest violates its schema or an invariant; `field` is its JSON path when one is to blame.
    case invalidManifest(path: String, field: String?, reason: String)
    /// An entry's size in the tar header differs from the size the manifest declares.
    case sizeMismatch(path: String, entry: String, declared: Int, actual: Int)
    /// The entry or the archive as a whole expands past a limit (a decompression bomb).
    case limitExceeded(path: String, entry: String, limit: Int, what: String)
    /// An entry's SHA-256 differs from the digest the manifest declares.
    case digestMismatch(path: String, entry: String, declared: String, actual: String)
    /// A file the manifest lists is absent from the archive.
    case missingEntry(path: String, entry: String)
    /// An entry is not a valid safetensors file.
    case invalidSafeTensors(path: String, entry: String, reason: String)
    /// An entry's tensors differ from what the architecture needs (names, shapes or dtype).
    case tensorMismatch(path: String, entry: String, tensor: String, reason: String)
    /// A tensor holds NaN or infinite values, which no learngene may hold.
    case nonFinite(path: String, entry: String, tensor: String)
    /// Reading or writing a file failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(Quoted.name(path)): not a readable .lgz archive: \(reason)"
        case .unsafePath(let path, let entry):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': unsafe path (absolute, '..', or empty component)"
        case .symlink(let path, let entry, let target):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': symbolic link to '\(Quoted.name(target))' refused"
        case .hardLink(let path, let entry, let target):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': hard link to '\(Quoted.name(target))' refused"
        case .specialFile(let path, let entry, let type):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': \(type) refused; only regular files are allowed"
        case .duplicateEntry(let path, let entry):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': appears twice"
        case .unexpectedEntry(let path, let entry):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': not listed in manifest.json"
        case .missingManifest(let path, let first):
            return "\(Quoted.name(path)): manifest.json must be the first entry"
                + (first.map { "; the first entry is '\(Quoted.name($0))'" } ?? "; the archive is empty")
        case .invalidManifest(let path, let field, let reason):
            return "\(Quoted.name(path)): entry 'manifest.json': " + (field.map { "field '\(Quoted.name($0))' " } ?? "")
                + reason
        case .sizeMismatch(let path, let entry, let declared, let actual):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': \(actual) bytes, but manifest.json declares \(declared)"
        case .limitExceeded(let path, let entry, let limit, let what):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': \(what) expands past the limit of \(limit) bytes (decompression bomb?)"
        case .digestMismatch(let path, let entry, let declared, let actual):
            return
                "\(Quoted.name(path)): entry '\(Quoted.name(entry))': digest \(actual), but manifest.json declares \(declared)"
        case .missingEntry(let path, let entry):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': listed in manifest.json but absent"
        case .invalidSafeTensors(let path, let entry, let reason):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': invalid safetensors: \(reason)"
        case .tensorMismatch(let path, let entry, let tensor, let reason):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': tensor '\(Quoted.name(tensor))' \(reason)"
        case .nonFinite(let path, let entry, let tensor):
            return "\(Quoted.name(path)): entry '\(Quoted.name(entry))': tensor '\(Quoted.name(tensor))' holds NaN or "
                + "infinite values; a learngene's weights must be finite"
        case .io(let path, let reason): return "\(Quoted.name(path)): \(reason)"
        }
    }
}
