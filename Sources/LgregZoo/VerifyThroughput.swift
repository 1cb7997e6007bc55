import Foundation
import LgregRuntime

/// How fast `verify` evaluated the declared results, against OpenBLAS's sgemm peak measured in the same run
/// (`verify --json`'s `evaluation.throughput`, one line of the text report).
///
/// FLOPs are `EvaluationFLOPs.perImage` (2 per multiply-accumulate, the GEMMs and LayerNorms; GELU, softmax and
/// the adds not counted) times the images evaluated; seconds are the wall time of the evaluations alone (not
/// the blob hashing, nor loading data). The peak is measured after the evaluations, once on the run's threads
/// and once on one thread: `fractionOfPeak` compares the run with the first, `fractionOfPeakPerCore` its rate per
/// thread with the second.
public struct VerifyThroughput: Codable, Equatable, Sendable {
    /// FLOPs of every evaluation in the run.
    public var flops: Int
    /// Their wall time.
    public var seconds: Double
    /// flops / seconds / 10⁹.
    public var gflopsPerSecond: Double
    /// Threads the evaluations ran on (batches in flight, or OpenBLAS's threads inside each GEMM).
    public var threads: Int
    /// OpenBLAS's sgemm rate on `threads` threads, and on one.
    public var sgemmPeak: SgemmPeak
    public var sgemmPeakOneThread: SgemmPeak
    /// gflopsPerSecond / sgemmPeak's rate.
    public var fractionOfPeak: Double
    /// (gflopsPerSecond / threads) / sgemmPeakOneThread's rate: the fraction of one core's peak each thread reached.
    public var fractionOfPeakPerCore: Double
    /// CPU seconds of the evaluations (every thread of the process), flops per CPU second, and that rate against
    /// sgemmPeakOneThread's per CPU second: the fraction of a core's peak while the evaluations ran, which other
    /// load on the machine does not lower (it lowers the wall-time figures above).
    public var cpuSeconds: Double
    public var gflopsPerCPUSecond: Double
    public var fractionOfPeakPerCPUSecond: Double

    /// The figures of `flops` done in `seconds` on `threads` threads, against the given peaks.
    public init(
        flops: Int, seconds: Double, cpuSeconds: Double, threads: Int, sgemmPeak: SgemmPeak,
        sgemmPeakOneThread: SgemmPeak
    ) {
        self.flops = flops
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        gflopsPerCPUSecond = cpuSeconds > 0 ? Double(flops) / cpuSeconds / 1e9 : 0
        fractionOfPeakPerCPUSecond =
            sgemmPeakOneThread.gflopsPerCPUSecond > 0 ? gflopsPerCPUSecond / sgemmPeakOneThread.gflopsPerCPUSecond : 0
        self.threads = threads
        self.sgemmPeak = sgemmPeak
        self.sgemmPeakOneThread = sgemmPeakOneThread
        gflopsPerSecond = seconds > 0 ? Double(flops) / seconds / 1e9 : 0
        fractionOfPeak = sgemmPeak.gflopsPerSecond > 0 ? gflopsPerSecond / sgemmPeak.gflopsPerSecond : 0
        fractionOfPeakPerCore =
            sgemmPeakOneThread.gflopsPerSecond > 0
            ? gflopsPerSecond / Double(max(threads, 1)) / sgemmPeakOneThread.gflopsPerSecond : 0
    }

    /// The figures of `flops` done in `seconds` on `threads` threads, with both peaks measured now.
    public static func measuringPeak(flops: Int, seconds: Double, cpuSeconds: Double, threads: Int)
        -> VerifyThroughput
    {
        VerifyThroughput(
            flops: flops, seconds: seconds, cpuSeconds: cpuSeconds, threads: threads,
            sgemmPeak: SgemmPeak.measure(threads: threads),
            sgemmPeakOneThread: SgemmPeak.measure(threads: 1))
    }

    /// The figures of shards run apart (`verify --merge`): their FLOPs, seconds and CPU seconds summed, on the first
    /// shard's thread count, against the fastest peaks any shard measured (so the fractions are not flattered by a
    /// slow runner). Nil when there are none.
    public static func combining(_ parts: [VerifyThroughput]) -> VerifyThroughput? {
        guard let first = parts.first else { return nil }
        return VerifyThroughput(
            flops: parts.map(\.flops).reduce(0, +), seconds: parts.map(\.seconds).reduce(0, +),
            cpuSeconds: parts.map(\.cpuSeconds).reduce(0, +), threads: first.threads,
            sgemmPeak: parts.map(\.sgemmPeak).max { $0.gflopsPerSecond < $1.gflopsPerSecond } ?? first.sgemmPeak,
            sgemmPeakOneThread: parts.map(\.sgemmPeakOneThread).max { $0.gflopsPerSecond < $1.gflopsPerSecond }
                ?? first.sgemmPeakOneThread)
    }

    /// The text report's line.
    public var summary: String {
        String(
            format:
                "throughput: %.3g GFLOP in %.2f s, %.1f GFLOP/s on %d thread%@; OpenBLAS sgemm peak now %.1f GFLOP/s (%.1f on one thread): %.0f%% of peak, %.0f%% per core (goal ≥ 50%%); per CPU second %.0f%% of a core's",
            Double(flops) / 1e9, seconds, gflopsPerSecond, threads, threads == 1 ? "" : "s",
            sgemmPeak.gflopsPerSecond, sgemmPeakOneThread.gflopsPerSecond, 100 * fractionOfPeak,
            100 * fractionOfPeakPerCore, 100 * fractionOfPeakPerCPUSecond)
    }
}
