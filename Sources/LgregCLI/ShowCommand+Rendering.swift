import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregReports
import LgregResolver
import LgregStore
import LgregVocabulary
import LgregZoo

/// What `show` prints: a learngene's card, results and blobs; a derived entry's lineage and config; the lineage tree.
extension ShowCommand {
    // MARK: A learngene

    func render(_ stored: StoredLearngene, in store: LearngeneStore, _ damage: [String]) throws {
        let derived = try ZooEntry.all(in: store).filter { $0.lineage?.learngeneDigest == stored.digest }
        if output.format == .json {
            return try printReport(
                "show",
                Shown(
                    digest: stored.digest.description, tags: stored.tags, manifest: stored.manifest,
                    blobs: stored.imageManifest.layers, materializations: try store.materializations(of: stored.digest),
                    derived: derived.map(\.reference), damage: damage))
        }
        let m = stored.manifest
        let a = m.architecture
        let p = m.provenance
        if output.format == .text {
            var training = [p.trained ? "trained" : "untrained (random weights)", p.toolVersion]
            if let dataset = p.dataset { training.append("data \(dataset)") }
            if let epochs = p.epochs { training.append(Plural.count(epochs, "epoch")) }
            if let ancestry = p.ancestry {
                training.append(
                    "distilled from \(ancestry)" + (p.alpha.map { ", α \($0)" } ?? "")
                        + (p.tau.map { ", τ \($0)" } ?? ""))
            }
            if let seed = p.seed { training.append("seed \(seed)") }
            if let source = p.source {
                training.append("imported from \(source.file) (\(source.layout), \(source.digest.short))")
            }
            print(
                """
                \(stored.digest)
                tags:        \(stored.tags.joined(separator: ", "))
                name:        \(m.name) \(m.version) (\(m.kind.rawValue) learngene)
                license:     \(m.license)
                description: \(m.description)
                architecture: \(a.imageSize)×\(a.imageSize)×\(a.inChannels) images, patch \(a.patchSize), width \(a.width), \(a.heads) heads, MLP ratio \(a.mlpRatio), \(a.classes) classes, \(a.pooling.rawValue) pooling\(a.classToken ? ", class token" : "")
                schedule:    \(m.schedule) (\(m.schedule.depth) Aux-Net layers, \(m.layers.count) learngene layers)
                parameters:  \(m.parameters?.stored ?? 0) (\(String(format: "%.1f", Double(m.parameters?.stored ?? 0) / 1e6)) M), \(m.dtype.rawValue)
                provenance:  \(training.joined(separator: ", "))
                Des-Nets:    \(derived.isEmpty ? "none (lgreg materialize \(stored.tags.first ?? stored.digest.short) --depth N records one)" : derived.map(\.reference).joined(separator: ", "))
                integrity:   \(damage.isEmpty ? "intact (\(stored.imageManifest.layers.count + 2) blobs match their digests: manifest, config, \(stored.imageManifest.layers.count) layers)" : "DAMAGED (\(damage.count) blob(s))")

                """)
            print(
                m.results.isEmpty
                    ? "declared results: none (lgreg eval ARCHIVE.lgz --depths 6-15 --declare OUT.lgz declares them)\n"
                    : "declared results (re-measured by lgreg verify):\n" + declaredTable(m.results).rendered(.text))
        }
        let table = ReportTable(
            columns: [.init("file", "File"), .init("role", "Role"), .init("digest", "Digest"), .init("bytes", "Size")],
            rows: stored.imageManifest.layers.map { d in
                [
                    .text(d.annotations?[OCIAnnotation.title] ?? ""), .text(d.annotations?[OCIAnnotation.role] ?? ""),
                    .text(d.digest.short),
                    .int(d.size, shown: formatBytes(d.size)),
                ]
            })
        print(table.rendered(output.format), terminator: "")
    }

    /// The declared results: depth, strategy, order, the seed of a strategy that draws one (random-assigned rows
    /// differ by it alone), tuning, eval set, top-1 in percent.
    func declaredTable(_ results: [LearngeneManifest.DeclaredResult]) -> ReportTable {
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

    // MARK: A derived entry

    func render(_ entry: DerivedEntry, _ damage: [String]) throws {
        let tuned =
            entry.image.artifactType == TunedDesNet.artifactType
            ? try? TunedDesNet.Config.decode(entry.config, file: entry.image.config.digest.description) : nil
        let config =
            tuned == nil ? try? TimmConfig.decode(entry.config, path: entry.image.config.digest.description) : nil
        if output.format == .json {
            return try printReport(
                "show",
                ShownDerived(
                    entry: entry.kind, artifactType: entry.image.artifactType ?? "", digest: entry.digest.description,
                    tags: entry.tags, lineage: entry.lineage, config: config, tuned: tuned, blobs: entry.image.layers,
                    damage: damage))
        }
        if output.format == .text {
            var lines = [
                "\(entry.digest)", "tags:         \(entry.tags.joined(separator: ", "))",
                "kind:         \(entry.kind) (\(entry.image.artifactType ?? "no artifactType"))",
            ]
            if let lineage = entry.lineage {
                lines.append(
                    "lineage:      \(lineage.summary)\(lineage.orphaned ? " — orphaned: its learngene is no longer tagged" : "")"
                )
                lines.append("learngene:    \(lineage.learngeneDigest)")
            } else if tuned?.lineage.initialization == .scratch {
                lines.append("lineage:      trained from scratch, no learngene")
            } else {
                lines.append("lineage:      its learngene is no longer in the store")
            }
            if let config {
                let args = config.modelArgs
                let net = config.lgreg
                lines.append(
                    "architecture: depth \(args.depth), \(args.imgSize)×\(args.imgSize)×\(args.inChans) images, patch \(args.patchSize), width \(args.embedDim), \(args.numHeads) heads, \(config.numClasses) classes, \(net.pooling.rawValue) pooling"
                )
                lines.append(
                    "parameters:   \(net.parameters) (\(String(format: "%.1f", Double(net.parameters) / 1e6)) M), none stored anew: its layers are the learngene's blobs"
                )
                lines.append(
                    "layer map:    \(net.lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ","))")
                lines.append(
                    "head:         \(net.lineage.head.rawValue)\(net.lineage.seed.map { ", seed \($0)" } ?? "")")
                lines.append(
                    "timm:         \(config.architecture) with model_args (lgreg export \(entry.tags.first ?? entry.digest.short) -o DIR writes the Hub folder)"
                )
            }
            if let tuned { lines += Self.describe(tuned) }
            if let created = entry.image.annotations?[OCIAnnotation.created] {
                lines.append("created:      \(created)")
            }
            lines.append(
                "integrity:    \(damage.isEmpty ? "intact (\(entry.image.layers.count + 2) blobs match their digests: manifest, config, \(entry.image.layers.count) layers)" : "DAMAGED (\(damage.count) blob(s))")"
            )
            print(lines.joined(separator: "\n") + "\n")
        }
        let table = ReportTable(
            columns: [.init("role", "Role"), .init("digest", "Digest"), .init("bytes", "Size")],
            rows: entry.image.layers.map { d in
                [
                    .text(d.annotations?[OCIAnnotation.role] ?? d.annotations?[OCIAnnotation.title] ?? ""),
                    .text(d.digest.short), .int(d.size, shown: formatBytes(d.size)),
                ]
            })
        print(table.rendered(output.format), terminator: "")
    }

    /// The lines `show` prints for a tuned Des-Net's config: what it is, how it was trained, what it scored.
    static func describe(_ tuned: TunedDesNet.Config) -> [String] {
        let a = tuned.architecture
        let result = tuned.result
        var lines = [
            "architecture: depth \(tuned.depth), \(a.imageSize)×\(a.imageSize)×\(a.inChannels) images, patch \(a.patchSize), width \(a.width), "
                + "\(a.heads) heads, \(a.classes) classes, \(a.pooling.rawValue) pooling"
        ]
        let parameters = a.parameterCount(depth: tuned.depth)
        lines.append("parameters:   \(parameters) (\(String(format: "%.1f", Double(parameters) / 1e6)) M), stored anew")
        if let net = tuned.lineage.desNet {
            lines.append(
                "layer map:    \(net.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ","))\(net.seed.map { ", seed \($0)" } ?? "")"
            )
        }
        if let external = tuned.externalRecipe { lines.append("recipe:       \(external.summary)") }
        if let r = tuned.recipe {
            lines.append(
                "recipe:       \(Plural.count(r.epochs, "epoch")), lr \(r.learningRate) → \(r.minLearningRate) after \(Plural.count(r.warmupEpochs, "warm-up epoch")), "
                    + "batch \(r.batchSize), weight decay \(r.weightDecay), seed \(r.seed), \(r.augmented ? "augmented" : "no augmentation"), "
                    + "\(r.images) images of \(r.dataset)")
        }
        lines.append(
            "top-1:        " + String(format: "%.2f%%", 100 * result.top1)
                + " on \(result.evalSet) (\(result.correct)/\(result.images)), "
                + "as lgreg verify re-measures it")
        lines.append("tool:         \(tuned.tool)")
        return lines
    }

    // MARK: --lineage

    /// Draws the tree of the learngene `resolved` belongs to: every tagged entry derived from it, under its parent.
    func renderLineage(_ resolved: ResolvedEntry, in store: LearngeneStore) throws {
        let tree = try LineageTree.of(resolved, in: store)
        if output.format == .json { return try printReport("lineage", tree) }
        var lines: [String] = []
        func draw(_ node: LineageTree, prefix: String, branch: String) {
            let name = node.reference ?? "\(Digest(node.digest)?.short ?? node.digest) (untagged)"
            lines.append("\(prefix)\(branch)\(name)  [\(node.detail)]")
            let childPrefix = prefix + (branch == "├── " ? "│   " : branch.isEmpty ? "" : "    ")
            for (index, child) in node.children.enumerated() {
                draw(child, prefix: childPrefix, branch: index == node.children.count - 1 ? "└── " : "├── ")
            }
        }
        draw(tree, prefix: "", branch: "")
        if let teacher = tree.teacher { lines[0] += "  distilled from \(teacher)" }
        print(lines.joined(separator: "\n"))
    }
}
