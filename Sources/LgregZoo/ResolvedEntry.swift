import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregStore

/// A stored entry that is not a learngene (a Des-Net, a tuned Des-Net): its manifest, config bytes and lineage.
public struct DerivedEntry: Sendable {
    /// The reference as given.
    public var reference: String
    public var digest: Digest
    public var image: ImageManifest
    /// Its tags.
    public var tags: [String]
    /// `desnet`, `tuned`, … (`ZooEntry.kind(of:)`).
    public var kind: String
    /// Where it comes from; nil when its learngene is gone.
    public var lineage: EntryLineage?
    /// The config blob's bytes, their digest checked.
    public var config: Data
}

/// What a reference names in the store: a learngene or an entry derived from one.
public enum ResolvedEntry: Sendable {
    case learngene(StoredLearngene)
    case derived(DerivedEntry)

    /// Resolves `reference` (a tag, a name, a digest prefix) to whatever it names.
    /// - Throws: `StoreError.notFound`, `.ambiguous`, `.invalidReference`; what reading its blobs throws.
    public static func resolve(_ reference: String, in store: LearngeneStore) throws -> ResolvedEntry {
        let digest = try store.resolveDigest(reference)
        let image = try store.imageManifest(digest)
        if image.artifactType == OCIMediaType.learngene {
            return .learngene(try store.learngene(at: digest, reference: reference))
        }
        let entries = try store.entries()
        let byDigest = Dictionary(entries.map { ($0.digest, $0) }) { first, _ in first }
        let lineage = byDigest[digest].flatMap {
            ZooEntry.lineage(of: $0, expanded: ZooEntry.expansion(of: $0, in: store), byDigest: byDigest, store: store)
        }
        return .derived(
            DerivedEntry(
                reference: reference, digest: digest, image: image, tags: try store.tags(of: digest),
                kind: ZooEntry.kind(of: image.artifactType ?? ""), lineage: lineage,
                config: try store.readBlob(image.config.digest)))
    }
}

extension StoredDesNet {
    /// A stored Des-Net made runnable again: its config, the learngene it was planned from, and the same plan
    /// rebuilt from the recorded lineage (strategy, order, map, seed, head, pooling), checked to give the recorded
    /// layer map.
    public struct Opened {
        public var net: DesNet
        public var config: TimmConfig
        public var learngene: StoredLearngene
    }

    /// Rebuilds the Des-Net `entry` records from its learngene.
    /// - Throws: `ZooError.notADesNet` for another derived kind, `.desNetLearngeneMissing` when its learngene's
    ///   manifest is gone, `.desNetDoesNotReplan` when the plan comes out other than recorded; config errors.
    public static func open(_ entry: DerivedEntry, in store: LearngeneStore) throws -> Opened {
        guard entry.image.artifactType == artifactType else {
            throw ZooError.notADesNet(reference: entry.reference, kind: entry.kind)
        }
        let config = try TimmConfig.decode(
            entry.config, path: "\(entry.reference) config blob \(entry.image.config.digest.short)")
        guard let baseText = entry.image.annotations?[OCIAnnotation.baseDigest], let base = Digest(baseText),
            store.storedImageManifest(base) != nil
        else {
            throw ZooError.desNetLearngeneMissing(
                reference: entry.reference,
                learngene: entry.image.annotations?[OCIAnnotation.baseDigest] ?? "none recorded")
        }
        let learngene = try store.learngene(at: base)
        let lineage = config.lgreg.lineage
        let source = ManifestSource(learngene)
        let copied = lineage.layerMap.compactMap { $0 }
        let strategy = try Strategy(
            lineage.strategy, order: lineage.order, layers: lineage.strategy == .explicit ? copied : nil,
            topBlocks: lineage.strategy == .vanillaLG ? copied.count : 3)
        let net = try Materializer.plan(
            source, depth: config.modelArgs.depth, strategy: strategy, head: lineage.head,
            classes: config.numClasses, pooling: config.lgreg.pooling, seed: lineage.seed ?? 0,
            allowDropStages: config.modelArgs.depth < source.layerCount)
        guard net.lineage.layerMap == lineage.layerMap, net.lineage.strategy == lineage.strategy else {
            throw ZooError.desNetDoesNotReplan(
                reference: entry.reference,
                recorded: lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ","),
                planned: net.lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ","))
        }
        return Opened(net: net, config: config, learngene: learngene)
    }
}
