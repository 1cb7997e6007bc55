import ArgumentParser
import Foundation
import LgregArchitecture
import LgregResolver
import LgregZoo

/// `lgreg materialize aux-b --depth 14 --order front-mid-last --output des-b-14`
struct MaterializeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materialize",
        abstract: "Build a Des-Net of any depth from a learngene: record it in the store and/or export it for timm.",
        discussion: """
            A stored learngene's Des-Net is recorded in the store as a manifest that references the learngene's own \
            layer blobs (no layer is copied) with its layer map, strategy and seed. --output DIR also writes \
            what a Hugging Face model repo holds: DIR/model.safetensors under timm's key names, DIR/config.json \
            (Schemas/timm-config.schema.json) and a DIR/README.md model card, which timm loads as they are with \
            timm.create_model("local-dir:DIR", pretrained=True) (Examples/pytorch/load_in_timm.py) and \
            `lgreg eval DIR/model.safetensors --arch DIR` runs. A .lgz archive path needs --output. \
            --json follows Schemas/materialize.schema.json. \(ExitStatus.help)
            """)

    @OptionGroup var learngene: LearngeneArgument
    @Option(help: "Des-Net depth (default: the length of --layers-source).")
    var depth: Int?
    @OptionGroup var strategy: StrategyOptions
    @Option(help: "keep: copy the learngene's head (same task); new: a fresh head for a new task.")
    var head: HeadPolicy = .keep
    @Option(help: "Classes of the head (with --head new; default: the learngene's).")
    var classes: Int?
    @Option(
        help:
            "Pooling order the Des-Net states: avg-norm-first (norm, mean, head: as the Aux-Net trains; timm fc_norm=False) or avg (mean, norm, head: timm's fc_norm, as the official Des-Net code builds it). Default: the learngene's."
    )
    var pooling: Pooling?
    @Option(name: .shortAndLong, help: "Folder to write model.safetensors and config.json into.")
    var output: String?
    @Option(help: "Tag of the recorded Des-Net (default: <learngene>-d<depth>:<version>-<strategy>[-<order>]…).")
    var tag: String?
    @OptionGroup var format: JSONOption

    func validate() throws {
        if learngene.isArchive, output == nil {
            throw ValidationError("A learngene archive is not in the store: pass --output DIR to export the Des-Net.")
        }
        if depth == nil, strategy.explicitDepth == nil {
            throw ValidationError("Give --depth (or an explicit --layers-source).")
        }
        if learngene.isArchive, tag != nil {
            throw ValidationError("--tag names a Des-Net recorded in the store; an archive's Des-Net is only exported.")
        }
    }

    /// What `--json` prints.
    struct Result: Encodable {
        var schemaVersion = 1
        var depth: Int
        var parameters: Int
        var bytes: Int
        var lineage: Lineage
        var desNetDigest: String?
        var tag: String?
        var output: String?
    }

    func run() throws {
        let opened = try learngene.open(.write)
        let request = DesNetMaterialization.Request(
            depth: depth ?? strategy.explicitDepth!, recipe: try strategy.recipe(pooling: pooling),
            head: head, classes: classes)
        let showProgress = output != nil && isatty(STDERR_FILENO) != 0
        let made = try DesNetMaterialization.run(
            opened, request, output: output.map { URL(fileURLWithPath: $0) }, tag: tag,
            tool: "lgreg \(Lgreg.version)"
        ) { written, total in
            guard showProgress, let output else { return }
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "\rwriting %@/model.safetensors: %3d%% of %@", output,
                        Int(100 * Double(written) / Double(max(total, 1))), formatBytes(total)
                    ).utf8))
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let net = made.net
        if format.json {
            return try printJSON(
                Result(
                    depth: net.depth, parameters: net.parameterCount, bytes: net.byteCount, lineage: net.lineage,
                    desNetDigest: made.recorded?.digest.description, tag: made.recorded?.tag, output: output))
        }
        let map = net.lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",")
        print(
            "Des-Net depth \(net.depth), \(net.lineage.strategy.rawValue)\(net.lineage.order.map { " (\($0))" } ?? ""), "
                + "\(net.parameterCount) parameters (\(String(format: "%.1f", Double(net.parameterCount) / 1e6)) M), head \(net.lineage.head.rawValue), pooling \(net.architecture.pooling.rawValue)"
        )
        print(
            "layer map: \(net.lineage.strategy == .tleg ? "θ_A + (l/\(net.depth))·θ_B, l = 0…\(net.depth - 1)" : map)")
        if let (digest, tag) = made.recorded { print("recorded:  \(tag) \(digest) (no layer copied)") }
        if let output {
            print(
                "wrote:     \(output)/model.safetensors (\(formatBytes(net.byteCount))), \(output)/config.json, \(output)/README.md"
            )
        }
    }
}

extension Pooling: ExpressibleByArgument {}
