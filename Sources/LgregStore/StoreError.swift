import Foundation
import LgregCore
import LgregVocabulary

#if canImport(Glibc)
    import Glibc
#endif

/// Everything that can go wrong in a store, one case per failure.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store folder is not an OCI image layout lgreg can use (and is not an empty folder to create one in).
    case notAStore(root: String, reason: String)
    /// There is no store at the root (a reader never creates one).
    case noStore(root: String)
    /// `index.json` is missing or does not decode; `fsck --rebuild-index` rebuilds it from the blobs.
    case corruptIndex(file: String, reason: String)
    /// A store opened for reading was asked to write.
    case openedForReading(root: String)
    /// A file of the layout (`index.json`, a manifest blob) does not decode.
    case corruptLayout(file: String, reason: String)
    /// No stored learngene or tag matches the reference.
    case notFound(reference: String)
    /// The reference names a stored entry of another kind (a Des-Net) where a learngene is needed.
    case notALearngene(reference: String, digest: Digest, artifactType: String)
    /// A digest prefix matches more than one manifest.
    case ambiguous(reference: String, candidates: [String])
    /// A reference is not `name`, `name:version` or a digest prefix of at least 4 hex digits.
    case invalidReference(String)
    /// The tag already points at another manifest.
    case tagExists(reference: String, existing: Digest)
    /// A blob the caller referenced is not in the store.
    case missingBlob(Digest)
    /// A derived artifact being brought in names a learngene the store lacks as its base.
    case baseMissing(label: String, base: Digest)
    /// Bytes written to the store hashed to something other than expected.
    case digestMismatch(file: String, expected: Digest, actual: Digest)
    /// The operating system refused a file operation (no space, read-only filesystem, permission, I/O error).
    case io(path: String, reason: String)
    /// The index database failed.
    case database(reason: String)

    public var description: String {
        switch self {
        case .notAStore(let root, let reason): return "\(root): not an lgreg store: \(reason)"
        case .noStore(let root): return "\(root): no store here (a writing command such as `lgreg publish` creates one)"
        case .corruptIndex(let file, let reason):
            return "\(file): \(reason); `lgreg fsck --rebuild-index` rebuilds it from the manifests in blobs/"
        case .openedForReading(let root): return "\(root): the store was opened for reading only"
        case .corruptLayout(let file, let reason): return "\(file): \(reason)"
        case .notFound(let reference):
            return
                "'\(ReferenceError.quoted(reference))' names nothing lgreg can read: no store entry matches it (see `lgreg list`), "
                + "and no file or folder has that name"
        case .notALearngene(let reference, let digest, let artifactType):
            return
                "'\(reference)' (\(digest.short)) is not a learngene but a derived entry (\(artifactType)); this command takes a learngene "
                + "(`lgreg show \(reference) --lineage` shows the one it comes from)"
        case .ambiguous(let reference, let candidates):
            return
                "'\(reference)' matches \(candidates.count) manifests: \(candidates.joined(separator: ", ")); give more digits"
        case .invalidReference(let text):
            return
                "'\(text)' is not a reference: use name, name:version or a digest prefix (at least 4 hex digits, optionally after 'sha256:')"
        case .tagExists(let reference, let existing):
            return
                "tag '\(reference)' already points at \(existing), which holds other content; remove it first with `lgreg rm \(reference)`"
        case .missingBlob(let digest): return "blob \(digest) is not in the store"
        case .baseMissing(let label, let base):
            return
                "\(label) derives from learngene \(base), which is not in the store: publish or pull that learngene first"
        case .digestMismatch(let file, let expected, let actual):
            return "\(file): content hashes to \(actual), expected \(expected); the blob is damaged (run `lgreg fsck`)"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .database(let reason):
            return "index database: \(reason) (the database is a cache of the layout: `lgreg fsck --rebuild-index` "
                + "rebuilds it)"
        }
    }

    /// `io` for an operating-system error number, its reason said in words ("No space left on device").
    static func io(path: String, doing action: String, errno code: Int32) -> StoreError {
        .io(path: path, reason: "\(action): \(String(cString: strerror(code)))")
    }
}
