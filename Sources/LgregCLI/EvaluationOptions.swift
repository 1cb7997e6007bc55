import ArgumentParser

/// Where Fashion-MNIST is and how many images a forward pass takes: the options of every command that measures
/// accuracy (`eval`, `record`, `verify`).
struct EvaluationOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Directory of Fashion-MNIST's gzipped IDX files, replacing /usr/share/datasets/fashion-mnist.")
    var dataDirectory: String?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize = 64

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize).") }
    }
}
