import LgregArchitecture
import LgregResolver

/// How to expand a learngene into Des-Nets: the strategy and what goes with it.
public struct DesNetRecipe: Sendable {
    public var strategy: Strategy
    /// Seed of random-assigned maps and of every fresh tensor.
    public var seed: UInt64
    /// Whether a depth below the learngene's layer count may leave whole stages out.
    public var allowDropStages: Bool
    /// Pooling order, replacing the learngene's.
    public var pooling: Pooling?

    public init(strategy: Strategy, seed: UInt64 = 0, allowDropStages: Bool = false, pooling: Pooling? = nil) {
        self.strategy = strategy
        self.seed = seed
        self.allowDropStages = allowDropStages
        self.pooling = pooling
    }
}
