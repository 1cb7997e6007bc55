import ArgumentParser
import Foundation
import LgregArchitecture
import LgregReports

/// `lgreg arch`: the architectures lgreg knows and what they cost.
struct ArchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arch",
        abstract: "List architecture presets and print their parameters and FLOPs per depth.",
        subcommands: [List.self, Show.self, Export.self]
    )

    /// `lgreg arch list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the architecture presets.",
            discussion: "--json follows Schemas/arch-list.schema.json.")
        @OptionGroup var output: OutputOptions

        /// What `--json` prints (`Schemas/arch-list.schema.json`).
        struct Presets: Encodable {
            struct Preset: Encodable {
                var name: String
                /// `H×W×C`.
                var image: String
                var patch, width, heads, classes: Int
                var pooling: String
            }
            var schemaVersion = 1
            var presets: [Preset]
        }

        func run() throws {
            let table = ReportTable(
                columns: [
                    .init("name", "Preset"), .init("image", "Image"), .init("patch", "Patch"), .init("width", "Width"),
                    .init("heads", "Heads"), .init("classes", "Classes"), .init("pooling", "Pooling"),
                ],
                rows: ViTArchitecture.presets.map { name, a in
                    [
                        .text(name), .text("\(a.imageSize)×\(a.imageSize)×\(a.inChannels)"),
                        .int(a.patchSize, shown: "\(a.patchSize)"),
                        .int(a.width, shown: "\(a.width)"), .int(a.heads, shown: "\(a.heads)"),
                        .int(a.classes, shown: "\(a.classes)"),
                        .text(a.pooling.rawValue),
                    ]
                })
            if output.format == .json {
                return try printJSON(
                    Presets(
                        presets: ViTArchitecture.presets.map { name, a in
                            Presets.Preset(
                                name: name, image: "\(a.imageSize)×\(a.imageSize)×\(a.inChannels)", patch: a.patchSize,
                                width: a.width,
                                heads: a.heads, classes: a.classes, pooling: a.pooling.rawValue)
                        }))
            }
            print(table.rendered(output.format), terminator: "")
        }
    }

    /// `lgreg arch show deit-base --depths 6-15`
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print parameters and FLOPs (fvcore multiply-accumulates) per depth.",
            discussion:
                "`lgreg arch show deit-base --depths 6-15` prints the Params and FLOPs columns of the paper's Table 1 (FLOPs in G, or M and k for small models). --json follows Schemas/arch-show.schema.json."
        )

        @OptionGroup var architecture: ArchitectureOptions
        @Option(help: "Depths to list: N, N-M or a comma list.")
        var depths = "12"
        @OptionGroup var output: OutputOptions

        /// What `--json` prints (`Schemas/arch-show.schema.json`): parameters and FLOPs as counts.
        struct Costs: Encodable {
            struct Row: Encodable {
                var depth, parameters, flops: Int
            }
            var schemaVersion = 1
            var architecture: String
            var rows: [Row]
        }

        func run() throws {
            let arch = try architecture.resolve()
            let depthList = try parseDepths(depths)
            let table = ReportTable(
                columns: [.init("depth", "Depth"), .init("parameters", "Params (M)"), .init("flops", "FLOPs")],
                rows: depthList.map {
                    [
                        .int($0, shown: "\($0)"), .millions(arch.parameterCount(depth: $0)),
                        .flops(arch.flops(depth: $0)),
                    ]
                })
            if output.format == .json {
                return try printJSON(
                    Costs(
                        architecture: architecture.architecture,
                        rows: depthList.map {
                            Costs.Row(
                                depth: $0, parameters: arch.parameterCount(depth: $0), flops: arch.flops(depth: $0))
                        }))
            }
            print(table.rendered(output.format), terminator: "")
        }
    }

    /// `lgreg arch export deit-base --depth 12 --schedule 3,3,4,3,3`
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an architecture (and optionally a depth and stage schedule) as JSON.",
            discussion: "The file follows Schemas/architecture.schema.json and is accepted wherever a preset name is.")

        @OptionGroup var architecture: ArchitectureOptions
        @Option(help: "Depth of the model the file describes.")
        var depth: Int?
        @Option(help: "Layers per stage of an Aux-Net, e.g. 3,3,4,3,3; the depth defaults to their sum.")
        var schedule: String?

        func run() throws {
            let arch = try architecture.resolve()
            let stages = try schedule.map { text in
                do { return try StageSchedule(parsing: text) } catch let error as ArchitectureError {
                    throw ValidationError(error.description)
                }
            }
            if let stages, let depth, stages.depth != depth {
                throw ValidationError("--schedule \(stages) sums to \(stages.depth), not --depth \(depth).")
            }
            let file = ArchitectureFile(architecture: arch, depth: depth ?? stages?.depth, schedule: stages)
            print(String(decoding: try file.encoded(), as: UTF8.self))
        }
    }
}
