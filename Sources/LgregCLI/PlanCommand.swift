import ArgumentParser
import Foundation
import LgregReports
import LgregResolver
import LgregZoo

/// `lgreg plan aux-b --depths 6-15`: the layer maps a strategy gives, without writing anything.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the layer map of a Des-Net of each depth, with its stage boundaries.",
        discussion: """
            Each entry names the learngene layer a Des-Net block is copied from; `|` marks a stage boundary; `r` is a \
            freshly initialized block and `i` a TLEG block θ_A + (l/L)·θ_B. For an Aux-B learngene (5 layers), \
            `lgreg plan aux-b --depth 12` prints the authors' published map 0 0 0|1 1 1|2 2|3 3|4 4. \
            --json follows Schemas/plan.schema.json. \(ExitStatus.help)
            """)

    @OptionGroup var learngene: LearngeneArgument
    @Option(help: "One depth.")
    var depth: Int?
    @Option(help: "Several depths: N, N-M or a comma list (e.g. 6-15).")
    var depths: String?
    @OptionGroup var strategy: StrategyOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if depth != nil, depths != nil { throw ValidationError("Give --depth or --depths, not both.") }
    }

    /// What `--json` prints.
    struct Report: Encodable {
        struct Stage: Encodable {
            /// The learngene layer (null for fresh or interpolated blocks).
            var layer: Int?
            /// `layer`, `fresh` or `interpolated`.
            var kind: String
            var first: Int
            var last: Int
        }
        struct Row: Encodable {
            var depth: Int
            var layerMap: [Int?]
            var copies: [Int]
            var stages: [Stage]
        }
        var schemaVersion = 1
        var learngene: String
        var learngeneDigest: String?
        var kind: String
        var learngeneLayers: Int
        var strategy: String
        var order: String?
        var seed: UInt64?
        var rows: [Row]
    }

    func run() throws {
        let opened = try learngene.open()
        let source = opened.source
        let chosen = try strategy.resolve()
        let depthList = try depths.map(parseDepths) ?? [depth ?? strategy.explicitDepth ?? source.layerCount]
        var rows: [Report.Row] = []
        for d in depthList {
            let blocks = try chosen.blocks(
                source: source, depth: d, seed: strategy.seed, allowDropStages: strategy.allowDropStages)
            var copies = Array(repeating: 0, count: source.layerCount)
            for case .layer(let m) in blocks { copies[m] += 1 }
            var stages: [Report.Stage] = []
            for (index, block) in blocks.enumerated() {
                if index > 0, blocks[index - 1] == block {
                    stages[stages.count - 1].last = index
                } else {
                    stages.append(.init(layer: block.sourceLayer, kind: Self.kind(block), first: index, last: index))
                }
            }
            rows.append(.init(depth: d, layerMap: blocks.map(\.sourceLayer), copies: copies, stages: stages))
        }
        let report = Report(
            learngene: opened.reference, learngeneDigest: source.learngeneDigest, kind: source.kind.rawValue,
            learngeneLayers: source.layerCount, strategy: chosen.name, order: chosen.orderDescription,
            seed: chosen.usesSeed ? strategy.seed : nil, rows: rows)
        if output.format == .json { return try printJSON(report) }
        let table = ReportTable(
            columns: [
                .init("depth", "Depth"), .init("map", "Layer map (| = stage boundary)"),
                .init("copies", "Copies per layer"),
            ],
            rows: rows.map { row in
                let map = row.stages.map { stage in
                    Array(
                        repeating: stage.layer.map(String.init) ?? (stage.kind == "fresh" ? "r" : "i"),
                        count: stage.last - stage.first + 1
                    )
                    .joined(separator: " ")
                }.joined(separator: "|")
                return [
                    .int(row.depth, shown: String(row.depth)), .text(map),
                    .text(row.copies.map(String.init).joined(separator: ",")),
                ]
            },
            footer: output.format == .text
                ? [
                    "\(source.kind.rawValue) learngene \(opened.reference), \(source.layerCount) layers; strategy \(chosen)"
                ] : [])
        print(table.rendered(output.format), terminator: "")
    }

    static func kind(_ block: BlockInit) -> String {
        switch block {
        case .layer: return "layer"
        case .fresh: return "fresh"
        case .interpolated: return "interpolated"
        }
    }
}
