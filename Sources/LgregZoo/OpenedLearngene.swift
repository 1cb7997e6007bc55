import Foundation
import LgregArchive
import LgregResolver
import LgregStore

/// A learngene a command works on: one read from a `.lgz` archive, or one resolved in the store (which is kept
/// open, to record what is derived from it).
///
/// ```swift
/// let aux = try OpenedLearngene.open("aux-b", store: { try LearngeneStore(root: root, mode: .read) })
/// let net = try Materializer.plan(aux.source, depth: 14, strategy: .cyclic(.named(.frontMidLast)))
/// ```
public struct OpenedLearngene {
    /// The reference or path as the user gave it, or as chosen for them (`choice`).
    public let reference: String
    /// The learngene as the resolver reads it.
    public let source: ManifestSource
    /// The stored learngene, when it came from the store.
    public let stored: StoredLearngene?
    /// The store it came from.
    public let store: LearngeneStore?
    /// Why this learngene, when the user named none.
    public let choice: CurrentLearngene.Choice?

    /// What a command that takes a learngene says it takes.
    public static let takes = "a learngene: a store entry (NAME[:VERSION] or a digest) or a .lgz archive"

    /// Where a learngene reference points by the reference grammar (`ModelReference`): the archive's path, or nil for
    /// a store entry (none given: the current learngene).
    /// - Throws: `ReferenceError` for a reference that names nothing or reads as a registry or layout.
    public static func archivePath(_ reference: String?) throws -> String? {
        guard let reference else { return nil }
        switch try ModelReference(parsing: reference) {
        case .file(let path): return path
        case .entry: return nil
        case let other: throw ReferenceError.notTaken(reference, reading: other.reading, takes: takes)
        }
    }

    /// Whether `reference` reads as an archive's path rather than a store entry (or names nothing).
    public static func isArchivePath(_ reference: String) -> Bool { ((try? archivePath(reference)) ?? nil) != nil }

    /// Opens the learngene `reference` names (an archive path or a store reference; a store entry before a file of
    /// the same name); with no reference, the store's current learngene (see `CurrentLearngene.choose`).
    /// - Parameter store: opens the store, called only when the learngene is in it.
    /// - Throws: `ReferenceError` as `archivePath` says; `ZooError` when no learngene can be chosen; archive and
    ///   store errors as they come.
    public static func open(_ reference: String?, store: () throws -> LearngeneStore) throws -> OpenedLearngene {
        if let path = try archivePath(reference) { return try archive(path) }
        let opened = try store()
        var choice: CurrentLearngene.Choice?
        let name: String
        if let reference {
            name = reference
        } else {
            let chosen = try CurrentLearngene.choose(in: opened)
            (name, choice) = (chosen.reference, chosen.choice)
        }
        do {
            let found = try opened.resolve(name)
            return OpenedLearngene(
                reference: name, source: ManifestSource(found), stored: found, store: opened, choice: choice)
        } catch StoreError.notFound(_) where (try? ModelReference(parsing: name)) == .entry(name, orPath: true) {
            return try archive(name)
        }
    }

    /// The learngene of the `.lgz` archive at `path`, its manifest read now and each file when first used.
    private static func archive(_ path: String) throws -> OpenedLearngene {
        OpenedLearngene(
            reference: path, source: ManifestSource(try LearngeneArchive.open(URL(fileURLWithPath: path))),
            stored: nil, store: nil, choice: nil)
    }

    /// A line saying which learngene was used when the user named none ("using aux-b:1 (sha256:…), the current learngene"), else nil.
    public var choiceNote: String? {
        guard let choice, let stored else { return nil }
        let tag = stored.tags.first ?? reference
        return "using learngene \(tag) (\(stored.digest.short)), \(choice.description)"
    }
}
