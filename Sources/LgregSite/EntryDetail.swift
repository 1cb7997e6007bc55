import Foundation
import LgregArchive
import LgregCore
import LgregReports
import LgregResolver
import LgregStore
import LgregVocabulary
import LgregZoo

/// What one entry's page and index row show of it, read once.
enum EntryDetail {
    case learngene(StoredLearngene)
    /// A Des-Net: its entry, its config, and the Des-Net rebuilt from its learngene (nil when that fails: `problem`).
    case desNet(DerivedEntry, config: TimmConfig?, opened: StoredDesNet.Opened?, problem: String?)
    /// A tuned Des-Net: its entry and stored config (nil when it does not read: `problem`).
    case tuned(DerivedEntry, stored: TunedDesNet.Stored?, problem: String?)

    /// Reads the entry `digest` from `store`; nil when its manifest does not read (a damaged entry).
    static func read(_ digest: Digest, in store: LearngeneStore) -> EntryDetail? {
        guard let resolved = try? ResolvedEntry.resolve(digest.description, in: store) else { return nil }
        switch resolved {
        case .learngene(let stored): return .learngene(stored)
        case .derived(let entry) where entry.image.artifactType == TunedDesNet.artifactType:
            do { return .tuned(entry, stored: try TunedDesNet.open(entry, in: store), problem: nil) } catch {
                return .tuned(entry, stored: nil, problem: "\(error)")
            }
        case .derived(let entry):
            let config = try? TimmConfig.decode(entry.config, path: entry.image.config.digest.description)
            do {
                return .desNet(entry, config: config, opened: try StoredDesNet.open(entry, in: store), problem: nil)
            } catch { return .desNet(entry, config: config, opened: nil, problem: "\(error)") }
        }
    }

    /// The top-1 the index shows: a learngene's best declared result on the test set, the result its learngene
    /// declares for a Des-Net, a tuned Des-Net's recorded top-1; with the words shown beside the figure.
    var top1: (value: Double, note: String)? {
        switch self {
        case .learngene(let stored):
            let results = stored.manifest.results.filter { $0.evalSet.hasPrefix("fashion-mnist") }
            guard let best = results.max(by: { ($0.top1, -$0.depth) < ($1.top1, -$1.depth) }) else { return nil }
            let tuned = best.tunedEpochs > 0 ? ", tuned" : ""
            return (best.top1, "best of \(results.count) declared: depth \(best.depth), \(best.strategy)\(tuned)")
        case .desNet(_, let config?, let opened?, _):
            let depth = config.modelArgs.depth
            guard
                let declared = opened.learngene.manifest.results.first(where: {
                    $0.tunedEpochs == 0 && $0.network?.describes(config.lgreg.lineage, depth: depth) == true
                })
            else { return nil }
            return (declared.top1, "declared by its learngene, untuned, on \(declared.evalSet)")
        case .tuned(_, let stored?, _):
            let result = stored.config.result
            let span = TrainingRecipe.span(stored.config.recipe, external: stored.config.externalRecipe)
            return (result.top1, "recorded, tuned \(span), on \(result.evalSet)")
        default: return nil
        }
    }

    /// The model card `lgreg export` writes beside a Des-Net's weights (`README.md`), for a Des-Net or tuned one.
    func exportCard(in store: LearngeneStore) -> String? {
        switch self {
        case .learngene: return nil
        case .desNet(_, _, let opened?, _):
            return ModelCard(net: opened.net, manifest: opened.learngene.manifest).markdown(
                opened.net, config: opened.config)
        case .tuned(_, let stored?, _):
            guard let net = try? stored.net(in: store) else { return nil }
            return ModelCard(net: net, manifest: stored.learngene(in: store)?.manifest, tuning: stored.record)
                .markdown(net, config: TimmConfig(net, tool: stored.config.tool, tuning: stored.record))
        default: return nil
        }
    }
}
