import ArgumentParser
import Foundation
import LgregArchitecture
import LgregReports
import LgregRuntime

/// `lgreg eval model.safetensors --arch fmnist-small --data fashion-mnist:test`: top-1, loss and speed.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluates a model on a data set: top-1 accuracy, mean cross-entropy, images per second.",
        discussion: """
        MODEL is a safetensors file in lgreg or timm naming (timm's fc_norm.* is read as norm.*), with any \
        number of blocks. By default block i runs as layer i; --layer-map runs a weight-shared Aux-Net from its \
        stored blocks (0,0,0,1,1,1,2,2,2,2,3,3,3,4,4,4 for the schedule 3,3,4,3,3) without copying them. \
        Evaluation visits the images in order, so the same model and data always give the same figures.
        """)

    @Argument(help: "The model's weights (.safetensors).")
    var model: String

    @Option(help: "A preset name (see `lgreg arch list`) or the path of an architecture JSON file.")
    var arch: String

    @Option(help: "Classes of the head, replacing the architecture's own.")
    var classes: Int?

    @Flag(name: .customLong("class-token"), help: "The model has a class token and classifies from it (timm's DeiT).")
    var classToken = false

    @Option(help: "Pooling order, replacing the architecture's: avg-norm-first (norm, then mean), avg (mean, then norm) or cls.")
    var pooling: Pooling?

    @Option(name: .customLong("layer-map"), help: "Stored block of each layer, e.g. 0,0,1,2,2; one layer per block when omitted.")
    var layerMap: String?

    @Option(help: "Expected depth; refused when the model (or its layer map) has another.")
    var depth: Int?

    @Option(help: "fashion-mnist:test, fashion-mnist:train, or an eval-set .safetensors file (Schemas/eval-set.schema.json).")
    var data = "fashion-mnist:test"

    @Option(name: .customLong("data-dir"), help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize = 64

    @Option(help: "Evaluate only the first N images.")
    var limit: Int?

    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if let depth, depth < 1 { throw ValidationError("--depth must be at least 1, got \(depth).") }
    }

    func run() throws {
        var arguments = [arch]
        if let classes { arguments += ["--classes", String(classes)] }
        if classToken { arguments.append("--class-token") }
        var architecture = try ArchitectureOptions.parse(arguments).resolve()
        if let pooling { architecture.pooling = pooling }
        try architecture.validate()
        if let threads { BLASThreads.set(threads) }

        let map = try layerMap.map { text in
            try text.split(separator: ",").map { part in
                guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--layer-map '\(text)': expected a comma list of block indices such as 0,0,1,2,2.")
                }
                return value
            }
        }
        let network = try ViTModel(path: model, architecture: architecture, layerMap: map)
        if let depth, depth != network.depth {
            throw ValidationError("--depth \(depth), but \(model) runs \(network.depth) layers\(map == nil ? " (one per stored block; pass --layer-map to reuse blocks)" : " by its layer map").")
        }
        let dataSet = try DataSpec(parsing: data).load(directory: dataDirectory)
        let result = try Evaluation.run(ViTRunner(model: network, maxBatch: batchSize), on: dataSet, limit: limit,
                                        progress: Progress.reporter("eval \(dataSet.source)"))
        let row = EvalRow(depth: network.depth, layerMap: network.layerMap, result: result)
        print(EvalRow.table([row], data: dataSet.source).rendered(output.format), terminator: "")
    }
}

extension Pooling: ExpressibleByArgument {}

/// One evaluated depth, as `eval` and `verify` print it.
struct EvalRow {
    var depth: Int
    var layerMap: [Int]
    var result: EvaluationResult

    /// The table every evaluation prints (`Schemas/eval-report.schema.json` for its JSON).
    static func table(_ rows: [EvalRow], data: String) -> ReportTable {
        ReportTable(
            columns: [.init("depth", "Depth"), .init("layerMap", "Layer map"), .init("data", "Data"),
                      .init("images", "Images"), .init("correct", "Correct"), .init("top1", "Top-1 %"),
                      .init("meanLoss", "Loss"), .init("imagesPerSecond", "Images/s")],
            rows: rows.map { row in
                [.int(row.depth, shown: String(row.depth)), .text(row.layerMap.map(String.init).joined(separator: ",")),
                 .text(data), .int(row.result.images, shown: String(row.result.images)),
                 .int(row.result.correct, shown: String(row.result.correct)),
                 .double(row.result.top1, shown: String(format: "%.2f", row.result.top1)),
                 .double(row.result.meanLoss, shown: String(format: "%.4f", row.result.meanLoss)),
                 .double(row.result.imagesPerSecond, shown: String(format: "%.0f", row.result.imagesPerSecond))]
            })
    }
}

/// Progress on standard error, only when it is a terminal (quiet in pipes and CI logs).
enum Progress {
    /// A callback that redraws "label: done/total" on stderr, or nil when stderr is not a TTY.
    static func reporter(_ label: String) -> ((Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        }
    }
}
