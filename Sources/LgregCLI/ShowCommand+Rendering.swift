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
        if output.format == .text {
            let lines =
                [stored.digest.description]
                + ([EntryFact("tags", stored.tags.joined(separator: ", "))] + m.facts + [
                    EntryFact(
                        "Des-Nets",
                        derived.isEmpty
                            ? "none (lgreg materialize \(stored.tags.first ?? stored.digest.short) --depth N records one)"
                            : derived.map(\.reference).joined(separator: ", ")),
                    EntryFact(
                        "integrity",
                        damage.isEmpty
                            ? "intact (\(stored.imageManifest.layers.count + 2) blobs match their digests: manifest, "
                                + "config, \(stored.imageManifest.layers.count) layers)"
                            : "DAMAGED (\(damage.count) blob(s))"),
                ]).aligned(width: 13)
            print(lines.joined(separator: "\n") + "\n")
            print(
                m.results.isEmpty
                    ? "declared results: none (lgreg eval ARCHIVE.lgz --depths 6-15 --declare OUT.lgz declares them)\n"
                    : "declared results (re-measured by lgreg verify):\n"
                        + LearngeneManifest.declaredTable(m.results).rendered(.text))
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
                lines += config.facts(reference: entry.tags.first ?? entry.digest.short).aligned(width: 14)
            }
            if let tuned { lines += tuned.facts.aligned(width: 14) }
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
