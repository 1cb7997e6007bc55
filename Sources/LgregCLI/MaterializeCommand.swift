import ArgumentParser
import Foundation
import LgregArchitecture
import LgregResolver

/// `lgreg materialize aux-b --depth 14 --order front-mid-last --output des-b-14`
struct MaterializeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materialize",
        abstract: "Build a Des-Net of any depth from a learngene: record it in the store and/or export it for timm.",
        discussion: """
        A stored learngene's Des-Net is recorded in the store as a manifest that references the learngene's own \
        layer blobs (no layer is copied) with its layer map, strategy and seed. --output DIR also writes \
        DIR/model.safetensors under timm's key names and DIR/config.json (Schemas/timm-config.schema.json), \
        loadable with timm.create_model(..., **model_args) and load_state_dict(strict=True) \
        (Examples/pytorch/load_in_timm.py). A .lgz archive path needs --output. \
        --json follows Schemas/materialize.schema.json. \(StoreExit.help)
        """)

    @OptionGroup var learngene: LearngeneArgument
    @Option(help: "Des-Net depth (default: the length of --layers-source).")
    var depth: Int?
    @OptionGroup var strategy: StrategyOptions
    @Option(help: "keep: copy the learngene's head (same task); new: a fresh head for a new task.")
    var head: HeadPolicy = .keep
    @Option(help: "Classes of the head (with --head new; default: the learngene's).")
    var classes: Int?
    @Option(help: "Pooling order the Des-Net states: avg-norm-first (norm, mean, head: as the Aux-Net trains; timm fc_norm=False) or avg (mean, norm, head: timm's fc_norm, as the official Des-Net code builds it). Default: the learngene's.")
    var pooling: Pooling?
    @Option(name: .shortAndLong, help: "Folder to write model.safetensors and config.json into.")
    var output: String?
    @Option(help: "Tag of the recorded Des-Net (default: <learngene>-d<depth>:<version>-<strategy>[-<order>]…).")
    var tag: String?
    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if learngene.isArchive, output == nil { throw ValidationError("A learngene archive is not in the store: pass --output DIR to export the Des-Net.") }
        if depth == nil, strategy.explicitDepth == nil { throw ValidationError("Give --depth (or an explicit --layers-source).") }
        if learngene.isArchive, tag != nil { throw ValidationError("--tag names a Des-Net recorded in the store; an archive's Des-Net is only exported.") }
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
        try runResolver {
            let (source, stored, store) = try learngene.source(.write)
            let net = try Materializer.plan(source, depth: depth ?? strategy.explicitDepth!, strategy: try strategy.resolve(), head: head,
                                            classes: classes, pooling: pooling, seed: strategy.seed, allowDropStages: strategy.allowDropStages)
            let tool = "lgreg \(Lgreg.version)"
            var result = Result(depth: net.depth, parameters: net.parameterCount, bytes: net.byteCount, lineage: net.lineage)
            if let stored, let store {
                let recorded = try StoredDesNet.record(net, from: stored, in: store, tag: tag, tool: tool)
                result.desNetDigest = recorded.digest.description
                result.tag = recorded.tag
            }
            if let output {
                let showProgress = isatty(STDERR_FILENO) != 0
                try TimmExport.write(net, to: URL(fileURLWithPath: output), tool: tool) { written, total in
                    if showProgress {
                        FileHandle.standardError.write(Data(String(format: "\rwriting %@/model.safetensors: %3d%% of %@", output,
                                                                   Int(100 * Double(written) / Double(max(total, 1))), formatBytes(total)).utf8))
                    }
                }
                if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
                result.output = output
            }
            if json { return try printJSON(result) }
            let map = net.lineage.layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",")
            print("Des-Net depth \(net.depth), \(net.lineage.strategy)\(net.lineage.order.map { " (\($0))" } ?? ""), "
                  + "\(net.parameterCount) parameters (\(String(format: "%.1f", Double(net.parameterCount) / 1e6)) M), head \(net.lineage.head), pooling \(net.architecture.pooling.rawValue)")
            print("layer map: \(net.lineage.strategy == "tleg" ? "θ_A + (l/\(net.depth))·θ_B, l = 0…\(net.depth - 1)" : map)")
            if let tag = result.tag, let digest = result.desNetDigest { print("recorded:  \(tag) \(digest) (no layer copied)") }
            if let output { print("wrote:     \(output)/model.safetensors (\(formatBytes(net.byteCount))), \(output)/config.json") }
        }
    }
}

extension Pooling: ExpressibleByArgument {}
