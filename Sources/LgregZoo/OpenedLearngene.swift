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

    /// Whether `reference` is an archive path rather than a store reference: it ends in `.lgz` or holds a `/`,
    /// which no learngene name, tag or digest does (so a folder that happens to share a learngene's name in the
    /// working directory does not shadow it).
    public static func isArchivePath(_ reference: String) -> Bool { reference.hasSuffix(".lgz") || reference.contains("/") }

    /// Opens the learngene `reference` names (an archive path or a store reference); with no reference, the
    /// store's current learngene (see `CurrentLearngene.choose`).
    /// - Parameter store: opens the store, called only when the learngene is in it.
    /// - Throws: `ZooError` when no learngene can be chosen; archive and store errors as they come.
    public static func open(_ reference: String?, store: () throws -> LearngeneStore) throws -> OpenedLearngene {
        if let reference, isArchivePath(reference) {
            return OpenedLearngene(reference: reference, source: ManifestSource(try LearngeneArchive.read(URL(fileURLWithPath: reference))),
                                   stored: nil, store: nil, choice: nil)
        }
        let opened = try store()
        var choice: CurrentLearngene.Choice?
        let name: String
        if let reference {
            name = reference
        } else {
            let chosen = try CurrentLearngene.choose(in: opened)
            (name, choice) = (chosen.reference, chosen.choice)
        }
        let found = try opened.resolve(name)
        return OpenedLearngene(reference: name, source: ManifestSource(found), stored: found, store: opened, choice: choice)
    }

    /// A line saying which learngene was used when the user named none ("using aux-b:1 (sha256:…), the current learngene"), else nil.
    public var choiceNote: String? {
        guard let choice, let stored else { return nil }
        let tag = stored.tags.first ?? reference
        return "using learngene \(tag) (\(stored.digest.short)), \(choice.description)"
    }
}
