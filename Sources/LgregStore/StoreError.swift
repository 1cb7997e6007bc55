import LgregCore

/// Everything that can go wrong in a store, one case per failure.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store folder is not an OCI image layout lgreg can use.
    case notAStore(root: String, reason: String)
    /// A file of the layout (`index.json`, a manifest blob) does not decode.
    case corruptLayout(file: String, reason: String)
    /// No stored learngene or tag matches the reference.
    case notFound(reference: String)
    /// A digest prefix matches more than one manifest.
    case ambiguous(reference: String, candidates: [String])
    /// A reference is not `name`, `name:version` or a digest prefix of at least 4 hex digits.
    case invalidReference(String)
    /// The tag already points at another manifest.
    case tagExists(reference: String, existing: Digest, new: Digest)
    /// A blob the caller referenced is not in the store.
    case missingBlob(Digest)
    /// Bytes written to the store hashed to something other than expected.
    case digestMismatch(file: String, expected: Digest, actual: Digest)
    /// The operating system refused a file operation.
    case io(path: String, reason: String)
    /// The index database failed.
    case database(reason: String)

    public var description: String {
        switch self {
        case let .notAStore(root, reason): return "\(root): not an lgreg store: \(reason)"
        case let .corruptLayout(file, reason): return "\(file): \(reason)"
        case let .notFound(reference): return "no learngene or tag matches '\(reference)' (see `lgreg list`)"
        case let .ambiguous(reference, candidates): return "'\(reference)' matches \(candidates.count) manifests: \(candidates.joined(separator: ", ")); give more digits"
        case let .invalidReference(text): return "'\(text)' is not a reference: use name, name:version or a digest prefix (at least 4 hex digits, optionally after 'sha256:')"
        case let .tagExists(reference, existing, new):
            return "tag '\(reference)' already points at \(existing), not \(new); remove it first with `lgreg rm \(reference)`"
        case let .missingBlob(digest): return "blob \(digest) is not in the store"
        case let .digestMismatch(file, expected, actual): return "\(file): content hashes to \(actual), expected \(expected)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .database(reason): return "index database: \(reason)"
        }
    }
}
