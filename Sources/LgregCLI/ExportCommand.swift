import ArgumentParser
import Foundation
import LgregCore
import LgregResolver
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg export aux-b:0.1.0 -o aux-b.lgz`, `lgreg export fmnist-tiny-sws-d12:1-cyclic-front-mid-last -o des-12`
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write a stored learngene as a .lgz archive, or a stored Des-Net (untuned or tuned) as a Hugging Face model folder.",
        discussion: """
            A learngene's archive has the manifest and tensor bytes identical to those published; it is written whole \
            and renamed into place, and an existing path that is not a regular file (a device, a FIFO, a folder, a \
            link) is refused. A Des-Net (its tag or digest) is rebuilt from its learngene as recorded and written as \
            `materialize --output` writes it: OUTPUT/model.safetensors, config.json and a README.md model card, which \
            timm.create_model("local-dir:OUTPUT", pretrained=True) loads. A tuned or scratch Des-Net (`lgreg finetune`) \
            is written the same way from its own weights, in the dtype it was stored in; its config.json (lgreg.tuned) \
            and card carry its lineage, recipe and recorded top-1. \(ExitStatus.help)
            """)

    @Argument(help: "A stored learngene, Des-Net or tuned Des-Net: name, name:version or a digest prefix.")
    var reference: String
    @Option(name: .shortAndLong, help: "Archive to write (a learngene) or folder to write (a Des-Net).")
    var output: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let opened = try store.open()
        switch try ResolvedEntry.resolve(try ModelReference.entry(reference), in: opened) {
        case .learngene:
            try AtomicFileWriter.checkReplaceable(URL(fileURLWithPath: output))
            let stored = try opened.export(reference, to: URL(fileURLWithPath: output))
            print("\(output): \(stored.manifest.reference) (\(stored.digest.short))")
        case .derived(let entry):
            let net = try StoredModel.open(entry, in: opened).export(
                to: URL(fileURLWithPath: output), in: opened, tool: "lgreg \(Lgreg.version)")
            print(
                "\(output): \(entry.tags.first ?? entry.digest.short) (\(entry.digest.short)), \(entry.kind), depth \(net.depth): "
                    + "model.safetensors (\(formatBytes(net.byteCount))), config.json, README.md")
        }
    }
}
