import Foundation
import LgregArchive
import LgregCore
import LgregReports
import LgregStore

/// Gathers what `lgreg report accuracy` shows from the store: each learngene's declared results (untuned, and
/// tuned where declared) on the Fashion-MNIST test set, and every tuned Des-Net recorded from it or from scratch.
public enum AccuracyCollection {
    /// The labels a declared result may give the test set.
    static let testSetLabels: Set<String> = ["fashion-mnist:test", "fashion-mnist-test"]

    /// The report for `references`: learngenes (their declared results and every tuned Des-Net derived from
    /// them), tuned Des-Nets, and names whose tags are tuned Des-Nets (`scratch-fmnist-tiny-d12`: every
    /// version). Empty: every learngene and every tuned Des-Net in the store.
    /// - Throws: `StoreError.notFound` for a reference that names neither.
    public static func report(_ references: [String], in store: LearngeneStore) throws -> AccuracyReport {
        var collected = Collected()
        let tunedTags = try TunedDesNet.all(in: store)
        if references.isEmpty {
            for learngene in try store.list() where learngene.damage == nil {
                try collected.addLearngene(learngene.reference, in: store, tuned: tunedTags)
            }
            for tuned in tunedTags { try collected.addTuned(tuned.reference, in: store) }
        }
        for reference in references {
            let versions = tunedTags.filter { $0.reference.hasPrefix(reference + ":") }
            if LearngeneManifest.isValidName(reference), !versions.isEmpty, (try? store.resolve(reference)) == nil {
                for version in versions { try collected.addTuned(version.reference, in: store) }
                continue
            }
            let digest = try store.resolveDigest(reference)
            if try store.imageManifest(digest).artifactType == OCIMediaType.learngene {
                try collected.addLearngene(reference, in: store, tuned: tunedTags)
            } else {
                try collected.addTuned(reference, in: store)
            }
        }
        return AccuracyReport(
            sources: collected.sources, observations: collected.observations, evalSet: TunedDesNet.evalSet)
    }

    /// Sources and observations gathered so far, each once.
    private struct Collected {
        var sources: [AccuracyReport.Source] = []
        var observations: [AccuracyReport.Observation] = []
        var learngenes: [Digest: String] = [:]
        var tunedSeen: Set<Digest> = []

        /// A learngene's declared test-set results and the tuned Des-Nets derived from it; returns its name in the report.
        @discardableResult
        mutating func addLearngene(
            _ reference: String, in store: LearngeneStore, tuned: [(reference: String, base: Digest?)]
        ) throws -> String {
            let stored = try store.resolve(reference)
            let name = learngenes[stored.digest] ?? stored.tags.first ?? reference
            if learngenes[stored.digest] == nil {
                learngenes[stored.digest] = name
                let manifest = stored.manifest
                sources.append(
                    .init(
                        reference: name, kind: manifest.kind.rawValue, architecture: manifest.architecture,
                        schedule: manifest.schedule,
                        storedParameters: manifest.parameters?.stored ?? stored.layers.count
                            * manifest.architecture.blockParameters + manifest.architecture.sharedParameters))
                for result in manifest.results where AccuracyCollection.testSetLabels.contains(result.evalSet) {
                    observations.append(
                        .init(
                            source: name, strategy: result.network?.strategyName ?? result.strategy,
                            order: result.order, seed: result.seed.map(UInt64.init),
                            depth: result.depth, tunedEpochs: result.tunedEpochs, top1: result.top1))
                }
            }
            for entry in tuned where entry.base == stored.digest { try addTuned(entry.reference, in: store) }
            return name
        }

        /// A tuned Des-Net's recorded top-1, under its learngene (added too) or its scratch family.
        mutating func addTuned(_ reference: String, in store: LearngeneStore) throws {
            let tuned = try TunedDesNet.open(reference, in: store)
            guard tunedSeen.insert(tuned.entry.digest).inserted else { return }
            let config = tuned.config
            // Tuned elsewhere (`lgreg record`): no epoch count to set beside lgreg's own recipes.
            guard let recipe = config.recipe else { return }
            let source: String
            if let base = tuned.entry.image.annotations?[OCIAnnotation.baseDigest].flatMap({ Digest($0) }),
                (try? store.imageManifest(base))?.artifactType == OCIMediaType.learngene,
                let tagged = try? store.resolve(base.description)
            {
                source = try addLearngene(tagged.tags.first ?? base.description, in: store, tuned: [])
            } else if let base = tuned.entry.image.annotations?[OCIAnnotation.baseDigest].flatMap({ Digest($0) }) {
                // The learngene is no longer tagged: named by its digest, its parameters unknown to the report.
                source = base.short
                if !sources.contains(where: { $0.reference == source }) {
                    sources.append(
                        .init(
                            reference: source, kind: (config.lineage.desNet?.learngeneKind ?? .sws).rawValue,
                            architecture: config.architecture,
                            schedule: nil, storedParameters: nil))
                }
            } else {
                // From scratch: one family per tag name without its depth (`scratch-fmnist-tiny-d12` → `scratch-fmnist-tiny`).
                let tag = tuned.entry.tags.first ?? reference
                let name = String(tag.prefix { $0 != ":" })
                source = name.replacingOccurrences(of: "-d\(config.depth)", with: "", options: [.anchored, .backwards])
                if !sources.contains(where: { $0.reference == source }) {
                    sources.append(
                        .init(
                            reference: source, kind: StrategyName.scratch.rawValue, architecture: config.architecture,
                            schedule: nil, storedParameters: nil))
                }
            }
            observations.append(
                .init(
                    source: source, strategy: config.lineage.strategy, order: config.lineage.desNet?.order,
                    seed: recipe.seed,
                    depth: config.depth, tunedEpochs: recipe.epochs, top1: config.result.top1,
                    tag: tuned.entry.tags.first))
        }
    }
}
