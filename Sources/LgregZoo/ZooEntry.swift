import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregStore

/// What a stored entry derives from: the learngene at the root of its lineage and how it was expanded.
public struct EntryLineage: Codable, Equatable, Sendable {
    /// The learngene's tag (`name:version`), nil when it is no longer tagged (removed with `rm --force`).
    public var learngene: String?
    /// The learngene's manifest digest.
    public var learngeneDigest: Digest
    /// The manifests between the learngene and this entry, nearest to the learngene first (a tuned Des-Net's
    /// Des-Net); empty for a Des-Net made straight from its learngene.
    public var via: [Digest]
    /// Des-Net depth.
    public var depth: Int?
    /// Initialization strategy.
    public var strategy: String?
    /// Layer order.
    public var order: String?
    /// True when the learngene is no longer tagged.
    public var orphaned: Bool { learngene == nil }

    /// `fmnist-tiny-sws:1, depth 12, cyclic (front-mid-last)`.
    public var summary: String {
        var text = learngene ?? "\(learngeneDigest.short) (untagged)"
        if let depth { text += ", depth \(depth)" }
        if let strategy { text += ", \(strategy)" + (order.map { " (\($0))" } ?? "") }
        return text
    }
}

/// One row of `lgreg list --all`: a tagged learngene or an entry derived from one, whatever its `artifactType`.
public struct ZooEntry: Codable, Sendable {
    /// The tag, `name:version`.
    public var reference: String
    public var digest: Digest
    /// `learngene`, `desnet`, `tuned`, or the label `ZooEntry.kind(of:)` gives a later artifact type.
    public var kind: String
    public var artifactType: String
    /// Bytes of its manifest, config and layer blobs (shared ones included).
    public var bytes: Int
    public var created: String?
    /// What it derives from; nil for a learngene (and for a Des-Net trained from scratch).
    public var lineage: EntryLineage?
    /// The depth of a Des-Net or tuned Des-Net (from scratch too); nil for a learngene.
    public var depth: Int?
    /// The parameters of a Des-Net or tuned Des-Net at its depth, from its config; nil for a learngene.
    public var parameters: Int?
    /// What is wrong with it; nil when it reads.
    public var damage: String?

    /// Whether this is a learngene rather than a derived entry.
    public var isLearngene: Bool { artifactType == OCIMediaType.learngene }

    /// The short label of `artifactType`: an `EntryKind`'s, or for any other `application/vnd.lgreg.<kind>.v<N>`
    /// artifact type `<kind>` with its dots turned to dashes, so a later kind lists without a change here.
    public static func kind(of artifactType: String) -> String {
        if let kind = EntryKind(artifactType: artifactType) { return kind.rawValue }
        var name = Substring(artifactType)
        if name.hasPrefix("application/vnd.lgreg.") { name = name.dropFirst("application/vnd.lgreg.".count) }
        if let version = name.range(of: #"\.v[0-9]+$"#, options: .regularExpression) {
            name = name[..<version.lowerBound]
        }
        return name.replacingOccurrences(of: ".", with: "-")
    }

    /// Every tagged entry of `store`, learngenes and derived entries, each derived one with its lineage.
    public static func all(in store: LearngeneStore) throws -> [ZooEntry] {
        let entries = try store.entries()
        let byDigest = Dictionary(entries.map { ($0.digest, $0) }) { first, _ in first }
        return entries.map { entry in
            let expanded = expansion(of: entry, in: store)
            let lineage =
                entry.base == nil ? nil : lineage(of: entry, expanded: expanded, byDigest: byDigest, store: store)
            let broken =
                entry.base != nil && lineage == nil
                ? "what it derives from (\(entry.base!.short)) is no longer in the store" : nil
            return ZooEntry(
                reference: entry.reference, digest: entry.digest, kind: kind(of: entry.artifactType),
                artifactType: entry.artifactType,
                bytes: entry.totalBytes, created: entry.created, lineage: lineage,
                depth: lineage?.depth ?? expanded?.depth, parameters: expanded?.parameters,
                damage: entry.damage ?? broken)
        }
    }

    /// What a derived entry records of its Des-Net.
    struct Expansion {
        var depth: Int
        var strategy: String
        var order: String?
        /// The Des-Net's parameters at its depth; nil when its config does not read.
        var parameters: Int?
    }

    /// A Des-Net's expansion as its entry records it, its config read once: a materialized Des-Net's annotations
    /// with its config's parameter count (`TimmConfig`'s `lgreg.parameters`), or a tuned Des-Net's config (scratch
    /// as its strategy, the architecture's parameters at its depth); nil for other entries.
    static func expansion(of entry: StoreEntry, in store: LearngeneStore) -> Expansion? {
        let config = entry.configDigest.flatMap { digest in
            (try? store.readBlob(digest)).map { (digest: digest, bytes: $0) }
        }
        if let m = entry.materialization {
            let parameters = config.flatMap { try? TimmConfig.decode($0.bytes, path: $0.digest.description) }?.lgreg
                .parameters
            return Expansion(depth: m.depth, strategy: m.strategy, order: m.order, parameters: parameters)
        }
        guard entry.artifactType == TunedDesNet.artifactType, let config,
            let tuned = try? TunedDesNet.Config.decode(config.bytes, file: config.digest.description)
        else { return nil }
        return Expansion(
            depth: tuned.depth, strategy: tuned.lineage.strategy, order: tuned.lineage.desNet?.order,
            parameters: tuned.architecture.parameterCount(depth: tuned.depth))
    }

    /// Follows `base` digests down to the learngene; depth, strategy and order come from the nearest entry that
    /// records them (`expanded`, the entry's own `expansion(of:in:)`, first). A base that is not tagged is read from
    /// its blob (an orphan's learngene).
    static func lineage(
        of entry: StoreEntry, expanded: Expansion?, byDigest: [Digest: StoreEntry], store: LearngeneStore
    ) -> EntryLineage? {
        var expanded = expanded
        var via: [Digest] = []
        var current = entry.base
        while let digest = current, via.count < 64 {
            if let tagged = byDigest[digest] {
                expanded = expanded ?? expansion(of: tagged, in: store)
                guard tagged.artifactType != OCIMediaType.learngene else {
                    return EntryLineage(
                        learngene: tagged.reference, learngeneDigest: digest, via: via.reversed(),
                        depth: expanded?.depth,
                        strategy: expanded?.strategy, order: expanded?.order)
                }
                via.append(digest)
                current = tagged.base
                continue
            }
            guard let image = store.storedImageManifest(digest) else { break }
            if image.artifactType == OCIMediaType.learngene {
                return EntryLineage(
                    learngene: nil, learngeneDigest: digest, via: via.reversed(), depth: expanded?.depth,
                    strategy: expanded?.strategy, order: expanded?.order)
            }
            via.append(digest)
            current = image.annotations?[OCIAnnotation.baseDigest].flatMap { Digest($0) }
        }
        return nil
    }
}
