import Foundation
import LgregCore
import LgregStore
import LgregVocabulary

/// The tree of one learngene's family, as `show --lineage` draws it: the learngene at the root, each tagged entry
/// derived from it under the entry it derives from (learngene → Des-Nets → tuned Des-Nets).
public struct LineageTree: Encodable, Sendable {
    /// A tag of the entry, nil when it has none.
    public var reference: String?
    public var digest: String
    /// `learngene`, `desnet`, `tuned`, …
    public var entry: String
    /// The kind, with the depth, strategy and order of a derived entry.
    public var detail: String
    public var children: [LineageTree]

    /// The tree of the learngene `resolved` belongs to.
    /// - Throws: `ZooError.desNetLearngeneMissing` for a derived entry whose learngene is gone.
    public static func of(_ resolved: ResolvedEntry, in store: LearngeneStore) throws -> LineageTree {
        let entries = try ZooEntry.all(in: store)
        let root: Digest
        switch resolved {
        case .learngene(let stored): root = stored.digest
        case .derived(let entry):
            guard let lineage = entry.lineage else {
                throw ZooError.desNetLearngeneMissing(
                    reference: entry.reference,
                    learngene: entry.image.annotations?[OCIAnnotation.baseDigest] ?? "none recorded")
            }
            root = lineage.learngeneDigest
        }
        let members = entries.filter { $0.lineage?.learngeneDigest == root }
        func node(_ digest: Digest, _ entry: ZooEntry?) -> LineageTree {
            let children = members.filter { ($0.lineage?.via.last ?? $0.lineage?.learngeneDigest) == digest }
            let kind = entry?.kind ?? EntryKind.learngene.rawValue
            var detail = kind
            if let lineage = entry?.lineage, let depth = lineage.depth {
                detail +=
                    ", depth \(depth)" + (lineage.strategy.map { ", \($0)" } ?? "")
                    + (lineage.order.map { " (\($0))" } ?? "")
            }
            return LineageTree(
                reference: entries.first { $0.digest == digest }?.reference, digest: digest.description, entry: kind,
                detail: detail,
                children: Dictionary(grouping: children, by: \.digest).sorted {
                    $0.value[0].reference < $1.value[0].reference
                }
                .map { node($0.key, $0.value[0]) })
        }
        return node(root, nil)
    }
}
