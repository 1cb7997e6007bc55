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

/// `lgreg show aux-b:0.1.0`, `lgreg show fmnist-tiny-sws-d12:1-cyclic-front-mid-last`, `lgreg show aux-b --lineage`
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract:
            "Show a stored learngene (model card, declared results, blobs, Des-Nets) or a Des-Net (lineage, config).",
        discussion: """
            REF is name, name:version or a digest prefix of a learngene or of a derived entry (a Des-Net's tag, e.g. \
            fmnist-tiny-sws-d12:1-cyclic-front-mid-last). A learngene shows its model card (name, licence, \
            architecture, provenance), its declared results (depth, strategy, order, top-1) and its blobs; a Des-Net \
            shows its lineage (learngene, depth, strategy, order, layer map) and its config. --lineage draws the tree \
            learngene → Des-Nets → tuned Des-Nets that REF belongs to. Every blob is checked against its digest \
            (re-hashed unless its file is unchanged since it was last found intact); a damaged one is named and the \
            exit status is 1. --json follows Schemas/store-output.schema.json. \(ExitStatus.help)
            """)

    @Argument(
        help:
            "name, name:version or a digest prefix, of a learngene or a Des-Net (default: the current learngene, see `lgreg use`)."
    )
    var reference: String?
    @Flag(help: "Draw the tree learngene → Des-Nets → tuned Des-Nets that REF belongs to.")
    var lineage = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    /// What `--json` prints for a learngene.
    struct Shown: Encodable {
        var entry = EntryKind.learngene.rawValue
        var digest: String
        var tags: [String]
        var manifest: LearngeneManifest
        var blobs: [Descriptor]
        var materializations: [Materialization]
        /// The tags of the entries derived from it.
        var derived: [String]
        /// What is wrong with the blobs (empty when every digest matched).
        var damage: [String]
    }

    /// What `--json` prints for a derived entry.
    struct ShownDerived: Encodable {
        var entry: String
        var artifactType: String
        var digest: String
        var tags: [String]
        var lineage: EntryLineage?
        var config: TimmConfig?
        /// A tuned Des-Net's config: lineage, recipe and recorded top-1.
        var tuned: TunedDesNet.Config?
        var blobs: [Descriptor]
        var damage: [String]
    }

    func run() throws {
        let opened = try store.open()
        let resolved: ResolvedEntry
        if let reference {
            resolved = try ResolvedEntry.resolve(try ModelReference.entry(reference), in: opened)
        } else {
            let chosen = try CurrentLearngene.choose(in: opened)
            let stored = try opened.resolve(chosen.reference)
            FileHandle.standardError.write(
                Data("using learngene \(chosen.reference) (\(stored.digest.short)), \(chosen.choice)\n".utf8))
            resolved = .learngene(stored)
        }
        if lineage { return try renderLineage(resolved, in: opened) }
        let damage: [String]
        switch resolved {
        case .learngene(let stored):
            damage = opened.damage(of: stored)
            try render(stored, in: opened, damage)
        case .derived(let entry):
            damage = ([entry.digest, entry.image.config.digest] + entry.image.layers.map(\.digest)).compactMap { blob in
                do {
                    try opened.verifyBlob(blob)
                    return nil
                } catch { return "\(error)" }
            }
            try render(entry, damage)
        }
        for problem in damage { FileHandle.standardError.write(Data("error: damaged: \(problem)\n".utf8)) }
        if !damage.isEmpty { throw ExitCode(1) }
    }
}
