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

    /// The kinds lgreg names; any other `application/vnd.lgreg.<kind>.v<N>` artifact type is labelled `<kind>`
    /// with its dots turned to dashes, so a new derived kind lists without a change here.
    public static let kindLabels: [String: String] = [
        OCIMediaType.learngene: "learngene",
        StoredDesNet.artifactType: "desnet",
        "application/vnd.lgreg.desnet.tuned.v1": "tuned",
    ]

    /// The short label of `artifactType`.
    public static func kind(of artifactType: String) -> String {
        if let label = kindLabels[artifactType] { return label }
        var name = Substring(artifactType)
        if name.hasPrefix("application/vnd.lgreg.") { name = name.dropFirst("application/vnd.lgreg.".count) }
        if let version = name.range(of: #"\.v[0-9]+$"#, options: .regularExpression) { name = name[..<version.lowerBound] }
        return name.replacingOccurrences(of: ".", with: "-")
    }

    /// Every tagged entry of `store`, learngenes and derived entries, each derived one with its lineage.
    public static func all(in store: LearngeneStore) throws -> [ZooEntry] {
        let entries = try store.entries()
        let byDigest = Dictionary(entries.map { ($0.digest, $0) }) { first, _ in first }
        return entries.map { entry in
            let lineage = entry.base == nil ? nil : lineage(of: entry, byDigest: byDigest, store: store)
            let broken = entry.base != nil && lineage == nil ? "what it derives from (\(entry.base!.short)) is no longer in the store" : nil
            return ZooEntry(reference: entry.reference, digest: entry.digest, kind: kind(of: entry.artifactType), artifactType: entry.artifactType,
                            bytes: entry.totalBytes, created: entry.created, lineage: lineage,
                            depth: lineage?.depth ?? expansion(of: entry, in: store)?.depth, parameters: parameters(of: entry, in: store),
                            damage: entry.damage ?? broken)
        }
    }

    /// Depth, strategy and order of a Des-Net as an entry records them: a materialized Des-Net's annotations, or a
    /// tuned Des-Net's config (scratch as its strategy); nil for other entries.
    static func expansion(of entry: StoreEntry, in store: LearngeneStore) -> (depth: Int, strategy: String, order: String?)? {
        if let m = entry.materialization { return (m.depth, m.strategy, m.order) }
        guard entry.artifactType == TunedDesNet.artifactType, let digest = entry.configDigest, let bytes = try? store.readBlob(digest),
              let config = try? TunedDesNet.Config.decode(bytes, file: digest.description) else { return nil }
        return (config.depth, config.lineage.strategy, config.lineage.desNet?.order)
    }

    /// The parameters a Des-Net's config counts (`TimmConfig`'s `lgreg.parameters`), or a tuned Des-Net's
    /// architecture at its depth; nil for other entries, or when the config does not read.
    static func parameters(of entry: StoreEntry, in store: LearngeneStore) -> Int? {
        guard let digest = entry.configDigest, let bytes = try? store.readBlob(digest) else { return nil }
        switch entry.artifactType {
        case StoredDesNet.artifactType: return (try? TimmConfig.decode(bytes, path: digest.description))?.lgreg.parameters
        case TunedDesNet.artifactType:
            return (try? TunedDesNet.Config.decode(bytes, file: digest.description)).map { $0.architecture.parameterCount(depth: $0.depth) }
        default: return nil
        }
    }

    /// Follows `base` digests down to the learngene; depth, strategy and order come from the nearest entry that
    /// records them (`expansion(of:in:)`). A base that is not tagged is read from its blob (an orphan's learngene).
    static func lineage(of entry: StoreEntry, byDigest: [Digest: StoreEntry], store: LearngeneStore) -> EntryLineage? {
        var expanded = expansion(of: entry, in: store)
        var via: [Digest] = []
        var current = entry.base
        while let digest = current, via.count < 64 {
            if let tagged = byDigest[digest] {
                expanded = expanded ?? expansion(of: tagged, in: store)
                guard tagged.artifactType != OCIMediaType.learngene else {
                    return EntryLineage(learngene: tagged.reference, learngeneDigest: digest, via: via.reversed(), depth: expanded?.depth,
                                        strategy: expanded?.strategy, order: expanded?.order)
                }
                via.append(digest)
                current = tagged.base
                continue
            }
            guard let image = store.storedImageManifest(digest) else { break }
            if image.artifactType == OCIMediaType.learngene {
                return EntryLineage(learngene: nil, learngeneDigest: digest, via: via.reversed(), depth: expanded?.depth,
                                    strategy: expanded?.strategy, order: expanded?.order)
            }
            via.append(digest)
            current = image.annotations?[OCIAnnotation.baseDigest].flatMap { Digest($0) }
        }
        return nil
    }
}
