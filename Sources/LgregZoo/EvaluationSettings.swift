/// Evaluation settings shared by `eval` and `verify`.
public struct EvaluationSettings: Sendable {
    /// Images per forward pass.
    public var batchSize: Int
    /// Evaluate only the first N images.
    public var limit: Int?
    /// A progress callback for a labelled run (nil: quiet).
    public var progress: @Sendable (String) -> ((Int, Int) -> Void)?

    public init(batchSize: Int = 64, limit: Int? = nil, progress: @escaping @Sendable (String) -> ((Int, Int) -> Void)? = { _ in nil }) {
        self.batchSize = batchSize
        self.limit = limit
        self.progress = progress
    }
}
