import Foundation
import LgregArchive
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import LgregVocabulary

/// A stored Des-Net of either kind opened as a model: a recorded Des-Net rebuilt from its learngene, or a tuned
/// (or scratch) Des-Net with its own weights. Both run (`runnable`) and export as a timm/Hub folder (`export`).
public enum StoredModel {
    case desNet(StoredDesNet.Opened)
    case tuned(TunedDesNet.Stored)

    /// Opens the derived entry `entry` as a model.
    /// - Throws: `ZooError.notADesNet` for a derived kind that is no model (a verification report); what
    ///   reopening the Des-Net or reading the tuned config throws.
    public static func open(_ entry: DerivedEntry, in store: LearngeneStore) throws -> StoredModel {
        switch entry.image.artifactType {
        case StoredDesNet.artifactType: return .desNet(try StoredDesNet.open(entry, in: store))
        case TunedDesNet.artifactType: return .tuned(try TunedDesNet.open(entry, in: store))
        default: throw ZooError.notADesNet(reference: entry.reference, kind: entry.kind)
        }
    }

    /// The Des-Net or tuned Des-Net `reference` names, with its entry; nil when it names a learngene, or nothing in
    /// the store while a file or folder of that name exists (the reference grammar's fallback), or is a file's path.
    /// - Parameter store: opens the store, called only for a store entry.
    /// - Throws: `ReferenceError` for a reference that names nothing; `StoreError.notFound`; what opening throws.
    public static func named(_ reference: String, store: () throws -> LearngeneStore) throws -> (
        model: StoredModel, entry: DerivedEntry
    )? {
        guard case .entry(let name, let orPath) = try ModelReference(parsing: reference) else { return nil }
        let opened = try store()
        let resolved: ResolvedEntry
        do { resolved = try ResolvedEntry.resolve(name, in: opened) } catch StoreError.notFound(_) where orPath {
            return nil
        }
        guard case .derived(let entry) = resolved else { return nil }
        return (try open(entry, in: opened), entry)
    }

    /// The Des-Net as the resolver describes one: planned tensors, or the tuned weights read as they are.
    public func net(in store: LearngeneStore) throws -> DesNet {
        switch self {
        case .desNet(let opened): return opened.net
        case .tuned(let tuned): return try tuned.net(in: store)
        }
    }

    /// A runnable model: the Des-Net's stored layers run through its layer map (nothing copied), or the tuned weights.
    public func runnable(in store: LearngeneStore) throws -> ViTModel {
        switch self {
        case .desNet(let opened): return try ViTModel(desNet: opened.net, source: ManifestSource(opened.learngene))
        case .tuned(let tuned):
            return try ViTModel(
                parameters: try ViTParameters(
                    file: try tuned.weights(in: store), architecture: tuned.config.architecture))
        }
    }

    /// Writes the model as `materialize --output` writes a Des-Net: `model.safetensors` under timm's names,
    /// `config.json` and a `README.md` card, a tuned one's with its lineage, recipe and recorded top-1.
    /// - Returns: what was written.
    @discardableResult
    public func export(to directory: URL, in store: LearngeneStore, tool: String) throws -> DesNet {
        let net = try net(in: store)
        switch self {
        case .desNet(let opened):
            try TimmExport.write(net, to: directory, tool: tool, manifest: opened.learngene.manifest)
        case .tuned(let tuned):
            try TimmExport.write(
                net, config: TimmConfig(net, tool: tool, tuning: tuned.record), to: directory,
                manifest: tuned.learngene(in: store)?.manifest)
        }
        return net
    }
}

extension TunedDesNet.Stored {
    /// What an export carries of this entry's record.
    public var record: TuningRecord {
        TuningRecord(
            entryDigest: entry.digest.description, lineage: config.lineage, recipe: config.recipe,
            externalRecipe: config.externalRecipe, result: config.result)
    }

    /// The learngene it was expanded from, while the store holds it; nil from scratch.
    public func learngene(in store: LearngeneStore) -> StoredLearngene? {
        guard let text = config.lineage.desNet?.learngeneDigest, let digest = Digest(text) else { return nil }
        return try? store.learngene(at: digest)
    }

    /// The tuned weights as a Des-Net whose tensors are read as they are; from scratch, a lineage of fresh blocks.
    public func net(in store: LearngeneStore) throws -> DesNet {
        let lineage =
            config.lineage.desNet
            ?? Lineage(
                learngeneDigest: nil, learngeneKind: .plain, strategy: .scratch, order: nil, seed: config.recipe?.seed,
                layerMap: Array(repeating: nil, count: config.depth), head: .new)
        return try Materializer.trained(
            try weights(in: store), architecture: config.architecture, depth: config.depth, lineage: lineage)
    }
}
