import Foundation
import LgregRuntime

/// Evaluation settings shared by `eval` and `verify`.
public struct EvaluationSettings: Sendable {
    /// How several models are evaluated on one data set.
    public enum Evaluator: String, Sendable {
        /// Through the prefix tree of their layer maps with the batched block kernels
        /// (`PrefixTreeEvaluation.BlockKernels.batched`): shared work done once, at the machine's pace; figures
        /// equal to float rounding to each model alone.
        case batchedTree = "batched-tree"
        /// Through the prefix tree of their layer maps (`PrefixTreeEvaluation`) with each model's own kernel
        /// calls: shared work done once, the same figures to the bit as each model alone.
        case prefixTree = "prefix-tree"
        /// Each model alone (`Evaluation.run`), as before the tree; the same figures, to the bit.
        case oneAtATime = "one-at-a-time"

        /// `$LGREG_EVALUATOR` (`batched-tree`, `prefix-tree` or `one-at-a-time`, for benchmarks), else the
        /// batched tree.
        public static var fromEnvironment: Evaluator {
            ProcessInfo.processInfo.environment["LGREG_EVALUATOR"].flatMap(Evaluator.init(rawValue:)) ?? .batchedTree
        }
    }

    /// Where the prefix tree's threads go: `$LGREG_EVAL_THREADING` (`batches` or `gemm`, for benchmarks), else
    /// independent batches on separate threads (`PrefixTreeEvaluation.run`).
    public static var threadingFromEnvironment: PrefixTreeEvaluation.Threading {
        ProcessInfo.processInfo.environment["LGREG_EVAL_THREADING"].flatMap(
            PrefixTreeEvaluation.Threading.init(rawValue:)) ?? .batches
    }

    /// `$LGREG_EVAL_LIMIT`: evaluate only the first N images where no limit is given (for benchmarks, so
    /// `Benchmarks/verify.sh --images N` can time `verify` on a busy machine), else every image.
    public static var limitFromEnvironment: Int? {
        ProcessInfo.processInfo.environment["LGREG_EVAL_LIMIT"].flatMap(Int.init).flatMap { $0 >= 1 ? $0 : nil }
    }

    /// Images per forward pass.
    public var batchSize: Int
    /// Evaluate only the first N images.
    public var limit: Int?
    /// How several models are run.
    public var evaluator: Evaluator
    /// Where the prefix tree's threads go.
    public var threading: PrefixTreeEvaluation.Threading
    /// A progress callback for a labelled run (nil: quiet).
    public var progress: @Sendable (String) -> ((Int, Int) -> Void)?

    public init(
        batchSize: Int = 64, limit: Int? = limitFromEnvironment, evaluator: Evaluator = .fromEnvironment,
        threading: PrefixTreeEvaluation.Threading = threadingFromEnvironment,
        progress: @escaping @Sendable (String) -> ((Int, Int) -> Void)? = { _ in nil }
    ) {
        self.batchSize = batchSize
        self.limit = limit
        self.evaluator = evaluator
        self.threading = threading
        self.progress = progress
    }
}
