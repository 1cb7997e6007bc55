import LgregRuntime

/// One evaluated Des-Net: its depth, the learngene layer each block runs, and the figures.
public struct EvalRow: Sendable {
    public var depth: Int
    /// For each block, the learngene layer it runs (empty for a model file run block by block).
    public var layerMap: [Int]
    public var result: EvaluationResult

    public init(depth: Int, layerMap: [Int], result: EvaluationResult) {
        self.depth = depth
        self.layerMap = layerMap
        self.result = result
    }
}
