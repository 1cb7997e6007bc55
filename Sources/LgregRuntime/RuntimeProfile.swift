import Foundation

/// Time per phase of the runtime's forward pass and the training step, summed while `enabled` (off by default;
/// the benchmarks turn it on to show where a batch's time goes). Process-wide: profile one model at a time.
///
/// A phase run by one thread is summed as wall-clock time; the attention sub-phases, which the threads run side by
/// side (`attentionScores`, `softmax`, `attentionValues`), are summed over threads (thread-seconds), inside the
/// wall-clock `attention` phase.
public enum RuntimeProfile {
    /// The phases of the forward pass, the backward pass and the optimizer.
    public enum Phase: Int, CaseIterable, Sendable {
        case layerNorm, qkvGEMM, attention, attentionScores, softmax, attentionValues, projGEMM, fc1GEMM, biasGELU
        case fc2GEMM, residual, embeddingAndHead
        case backwardGEMM, backwardAttention, backwardLayerNorm, backwardGELU, backwardOther, optimizer

        /// The phase's name in a benchmark's JSON.
        public var name: String { String(describing: self) }
    }

    /// Whether the kernels time their phases.
    nonisolated(unsafe) public static var enabled = false
    /// Per worker (up to `workers`), per phase, nanoseconds; rows padded to 64 bytes apart.
    private static let workers = 64
    private static let stride = (Phase.allCases.count + 7) / 8 * 8
    nonisolated(unsafe) private static let nanoseconds: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: workers * stride)
        p.initialize(repeating: 0, count: workers * stride)
        return p
    }()

    /// Seconds spent in each phase since the last `reset`, summed over workers.
    public static var seconds: [Phase: Double] {
        Dictionary(
            uniqueKeysWithValues: Phase.allCases.map { phase in
                (phase, (0..<workers).reduce(0.0) { $0 + Double(nanoseconds[$1 * stride + phase.rawValue]) } / 1e9)
            })
    }

    /// Sets every phase's time to 0.
    public static func reset() { nanoseconds.update(repeating: 0, count: workers * stride) }

    /// Runs `body`, adding its wall-clock time to `phase` (in worker `worker`'s row) when profiling is on.
    @inline(__always)
    public static func measure<T>(_ phase: Phase, worker: Int = 0, _ body: () -> T) -> T {
        guard enabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        nanoseconds[min(worker, workers - 1) * stride + phase.rawValue] &+=
            DispatchTime.now().uptimeNanoseconds &- start
        return result
    }
}
