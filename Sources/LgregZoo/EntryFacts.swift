import Foundation
import LgregArchive
import LgregCore
import LgregReports
import LgregResolver
import LgregVocabulary

/// One line of what an entry is, as `show` prints it (`label: value`) and the site lists it.
public struct EntryFact: Equatable, Sendable {
    public var label: String
    public var value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
}

extension LearngeneManifest {
    /// A learngene's model card: name, licence, description, architecture, schedule, parameters, provenance.
    public var facts: [EntryFact] {
        let a = architecture
        let stored = parameters?.stored ?? 0
        return [
            EntryFact("name", "\(name) \(version) (\(kind.rawValue) learngene)"),
            EntryFact("license", license),
            EntryFact("description", description),
            EntryFact(
                "architecture",
                "\(a.imageSize)×\(a.imageSize)×\(a.inChannels) images, patch \(a.patchSize), width \(a.width), "
                    + "\(a.heads) heads, MLP ratio \(a.mlpRatio), \(a.classes) classes, \(a.pooling.rawValue) pooling"
                    + (a.classToken ? ", class token" : "")),
            EntryFact("schedule", "\(schedule) (\(schedule.depth) Aux-Net layers, \(layers.count) learngene layers)"),
            EntryFact(
                "parameters", "\(stored) (\(String(format: "%.1f", Double(stored) / 1e6)) M), \(dtype.rawValue)"),
            EntryFact("provenance", provenance.summary),
        ]
    }

    /// The declared results: depth, strategy, order, the seed of a strategy that draws one (random-assigned rows
    /// differ by it alone), tuning, eval set, top-1 in percent.
    public static func declaredTable(_ results: [DeclaredResult]) -> ReportTable {
        ReportTable(
            columns: [
                .init("depth", "Depth"), .init("strategy", "Strategy"), .init("order", "Order"), .init("seed", "Seed"),
                .init("tunedEpochs", "Tuned epochs"),
                .init("evalSet", "Eval set"), .init("top1", "Top-1 %"),
            ],
            rows: results.map { r in
                [
                    .int(r.depth, shown: String(r.depth)), .text(r.strategy), .text(r.order ?? ""),
                    r.seed.map { .int($0, shown: String($0)) } ?? .empty,
                    .int(r.tunedEpochs, shown: String(r.tunedEpochs)),
                    .text(r.evalSet), .double(r.top1, shown: String(format: "%.2f", 100 * r.top1)),
                ]
            })
    }
}

extension LearngeneManifest.Provenance {
    /// How the learngene was made: trained or not, the tool, data, epochs, distillation, seed, import source.
    public var summary: String {
        var training = [trained ? "trained" : "untrained (random weights)", toolVersion]
        if let dataset { training.append("data \(dataset)") }
        if let epochs { training.append(Plural.count(epochs, "epoch")) }
        if let ancestry {
            training.append(
                "distilled from \(ancestry)" + (alpha.map { ", α \($0)" } ?? "") + (tau.map { ", τ \($0)" } ?? ""))
        }
        if let seed { training.append("seed \(seed)") }
        if let source { training.append("imported from \(source.file) (\(source.layout), \(source.digest.short))") }
        return training.joined(separator: ", ")
    }
}

extension TunedDesNet.Config {
    /// What a tuned Des-Net is, how it was trained and what it scored.
    public var facts: [EntryFact] {
        let a = architecture
        var facts = [
            EntryFact(
                "architecture",
                "depth \(depth), \(a.imageSize)×\(a.imageSize)×\(a.inChannels) images, patch \(a.patchSize), width \(a.width), "
                    + "\(a.heads) heads, \(a.classes) classes, \(a.pooling.rawValue) pooling")
        ]
        let parameters = a.parameterCount(depth: depth)
        facts.append(
            EntryFact(
                "parameters", "\(parameters) (\(String(format: "%.1f", Double(parameters) / 1e6)) M), stored anew"))
        if let net = lineage.desNet {
            facts.append(
                EntryFact(
                    "layer map",
                    net.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",")
                        + (net.seed.map { ", seed \($0)" } ?? "")))
        }
        if let external = externalRecipe { facts.append(EntryFact("recipe", external.summary)) }
        if let r = recipe {
            facts.append(
                EntryFact(
                    "recipe",
                    "\(Plural.count(r.epochs, "epoch")), lr \(r.learningRate) → \(r.minLearningRate) after \(Plural.count(r.warmupEpochs, "warm-up epoch")), "
                        + "batch \(r.batchSize), weight decay \(r.weightDecay), seed \(r.seed), \(r.augmented ? "augmented" : "no augmentation"), "
                        + "\(r.images) images of \(r.dataset)"))
        }
        facts.append(
            EntryFact(
                "top-1",
                String(format: "%.2f%%", 100 * result.top1)
                    + " on \(result.evalSet) (\(result.correct)/\(result.images)), "
                    + "as lgreg verify re-measures it"))
        facts.append(EntryFact("tool", tool))
        return facts
    }
}

extension Array where Element == EntryFact {
    /// `label: value` lines, each value starting at column `width` (or one space after a longer label).
    public func aligned(width: Int) -> [String] {
        map { fact in
            let label = fact.label + ":"
            return label + String(repeating: " ", count: Swift.max(1, width - label.count)) + fact.value
        }
    }
}

extension TimmConfig {
    /// What a materialized Des-Net is: its shape, parameters, layer map, head and timm model; `reference` names it
    /// in the export command.
    public func facts(reference: String) -> [EntryFact] {
        let args = modelArgs
        let net = lgreg
        return [
            EntryFact(
                "architecture",
                "depth \(args.depth), \(args.imgSize)×\(args.imgSize)×\(args.inChans) images, patch \(args.patchSize), "
                    + "width \(args.embedDim), \(args.numHeads) heads, \(numClasses) classes, \(net.pooling.rawValue) pooling"
            ),
            EntryFact(
                "parameters",
                "\(net.parameters) (\(String(format: "%.1f", Double(net.parameters) / 1e6)) M), none stored anew: "
                    + "its layers are the learngene's blobs"),
            EntryFact("layer map", net.lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",")),
            EntryFact("head", "\(net.lineage.head.rawValue)\(net.lineage.seed.map { ", seed \($0)" } ?? "")"),
            EntryFact(
                "timm",
                "\(architecture) with model_args (lgreg export \(reference) -o DIR writes the Hub folder)"),
        ]
    }
}
