import ArgumentParser
import Foundation
import LgregArchive
import SafeTensors

/// `lgreg pack MODEL.safetensors --manifest template.json -o OUT.lgz`
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Build a learngene archive from a model file and a manifest template.",
        discussion: """
            MODEL holds the learngene's tensors under full names: the shared tensors (patch_embed.proj.*, pos_embed, \
            cls_token, norm.*, head.*) and blocks.0 … blocks.{M-1}, one block per learngene layer (for tleg, blocks.0 is \
            θ_A and blocks.1 θ_B). The template is a manifest (Schemas/learngene-manifest.schema.json) without \
            shared, layers and parameters; pack fills those in and checks every shape against the architecture.
            \(ExitStatus.help)
            """)

    @Argument(help: "safetensors file with the learngene's tensors under full names.")
    var model: String
    @Option(help: "Manifest template (JSON).")
    var manifest: String
    @Option(name: .shortAndLong, help: "Archive to write.")
    var output: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: manifest) else {
            throw ExitStatus.failure("\(manifest): cannot be read", 64)
        }
        let template: LearngeneManifest
        do {
            template = try LearngeneManifest.decodeTemplate(data, path: manifest)
            try template.validateDescription(path: manifest)
        } catch let error as ArchiveError {
            throw ExitStatus.failure("\(error)", 64)  // the template is the user's input, not archive data
        }
        let written = try LearngeneArchive.pack(
            template: template, model: try SafeTensorsFile(path: model), to: URL(fileURLWithPath: output))
        print(
            "\(output): \(written.reference), \(written.kind.rawValue), \(written.layers.count) layers, \(written.parameters!.stored) parameters"
        )
    }
}
