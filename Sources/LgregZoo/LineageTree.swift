import Foundation
import LgregCore
import LgregResolver
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
    /// The root learngene's teacher: the stored learngene whose whole-model export is the file it was distilled
    /// from (`provenance.ancestry` records that file's SHA-256); nil when none in the store is.
    public var teacher: String?
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
                // By depth as a number (d6 before d12), then by tag.
                children: Dictionary(grouping: children, by: \.digest).sorted {
                    ($0.value[0].lineage?.depth ?? 0, $0.value[0].reference)
                        < ($1.value[0].lineage?.depth ?? 0, $1.value[0].reference)
                }
                .map { node($0.key, $0.value[0]) })
        }
        var tree = node(root, nil)
        if let learngene = try? store.resolve(root.description) { tree.teacher = try teacher(of: learngene, in: store) }
        return tree
    }

    /// The tag of the stored plain learngene whose export at its own depth (`materialize REF --layers-source
    /// 0,…,L-1 --output DIR`) writes the very `model.safetensors` that `learngene` records as its teacher.
    public static func teacher(of learngene: StoredLearngene, in store: LearngeneStore) throws -> String? {
        guard let ancestry = learngene.manifest.provenance.ancestry,
            let range = ancestry.range(of: #"sha256:[0-9a-f]{64}"#, options: .regularExpression),
            let wanted = Digest(String(ancestry[range]))
        else { return nil }
        for summary in try store.list() where summary.kind == LearngeneKind.plain.rawValue {
            guard summary.digest != learngene.digest, summary.damage == nil,
                let candidate = try? store.resolve(summary.reference)
            else { continue }
            let source = ManifestSource(candidate)
            let net = try? Materializer.plan(
                source, depth: source.layerCount, strategy: .explicit(Array(0..<source.layerCount)))
            if let net, (try? TimmExport.modelDigest(net)) == wanted { return summary.reference }
        }
        return nil
    }
}
