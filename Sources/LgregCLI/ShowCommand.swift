import ArgumentParser
import Foundation
import LgregArchive
import LgregCore
import LgregReports
import LgregStore
import LgregZoo

/// `lgreg show aux-b:0.1.0`
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a stored learngene: manifest, blobs and materializations.",
        discussion: """
        REF is name, name:version or a digest prefix. Every blob of the learngene is checked against its digest \
        (re-hashed unless its file is unchanged since it was last found intact); a damaged one is named and the \
        exit status is 1. \(StoreExit.help)
        """)

    @Argument(help: "name, name:version or a digest prefix (default: the current learngene, see `lgreg use`).")
    var reference: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    /// What `--json` prints.
    struct Shown: Encodable {
        var digest: String
        var tags: [String]
        var manifest: LearngeneManifest
        var blobs: [Descriptor]
        var materializations: [Materialization]
        /// What is wrong with the blobs (empty when every digest matched).
        var damage: [String]
    }

    func run() throws {
        let opened = try store.open()
        let stored: StoredLearngene
        if let reference {
            stored = try opened.resolve(reference)
        } else {
            let chosen = try CurrentLearngene.choose(in: opened)
            stored = try opened.resolve(chosen.reference)
            FileHandle.standardError.write(Data("using learngene \(chosen.reference) (\(stored.digest.short)), \(chosen.choice)\n".utf8))
        }
        let derived = try opened.materializations(of: stored.digest)
        let damage = opened.damage(of: stored)
        defer { for problem in damage { FileHandle.standardError.write(Data("error: damaged: \(problem)\n".utf8)) } }
        try render(stored, derived, damage)
        if !damage.isEmpty { throw ExitCode(1) }
    }

    private func render(_ stored: StoredLearngene, _ derived: [Materialization], _ damage: [String]) throws {
        if output.format == .json {
            return try printReport("show", Shown(digest: stored.digest.description, tags: stored.tags, manifest: stored.manifest,
                                       blobs: stored.imageManifest.layers, materializations: derived, damage: damage))
        }
        let m = stored.manifest
        if output.format == .text {
            print("""
                \(stored.digest)
                tags:        \(stored.tags.joined(separator: ", "))
                name:        \(m.name) \(m.version) (\(m.kind.rawValue), \(m.license))
                description: \(m.description)
                schedule:    \(m.schedule) (\(m.schedule.depth) Aux-Net layers, \(m.layers.count) learngene layers)
                parameters:  \(m.parameters!.stored) (\(String(format: "%.1f", Double(m.parameters!.stored) / 1e6)) M), \(m.dtype.rawValue)
                provenance:  \(m.provenance.trained ? "trained" : "untrained"), \(m.provenance.toolVersion)\(m.provenance.dataset.map { ", data \($0)" } ?? "")\(m.provenance.seed.map { ", seed \($0)" } ?? "")
                materialized: \(derived.count) Des-Net(s)\(derived.isEmpty ? "" : ": " + derived.map { "depth \($0.depth) \($0.strategy)" }.joined(separator: ", "))
                integrity:   \(damage.isEmpty ? "intact (\(stored.imageManifest.layers.count + 1) blobs match their digests)" : "DAMAGED (\(damage.count) blob(s))")

                """)
        }
        let table = ReportTable(
            columns: [.init("file", "File"), .init("role", "Role"), .init("digest", "Digest"), .init("bytes", "Size")],
            rows: stored.imageManifest.layers.map { d in
                [.text(d.annotations?[OCIAnnotation.title] ?? ""), .text(d.annotations?[OCIAnnotation.role] ?? ""), .text(d.digest.short),
                 .int(d.size, shown: formatBytes(d.size))]
            })
        print(table.rendered(output.format), terminator: "")
    }
}
