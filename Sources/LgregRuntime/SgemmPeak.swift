import Foundation

/// OpenBLAS's own sgemm rate on this machine, now: the ceiling the runtime's GFLOP/s are compared to.
///
/// The same measurement as `Benchmarks/sgemm_peak.c`: C = A·B on `size`×`size` F32 matrices (2·size³ FLOPs a
/// call), one warm-up call, then calls until `seconds` have passed (at least three); the best call's rate counts,
/// as the least disturbed by other load. Measured on `threads` OpenBLAS threads, the count the run being compared
/// used (put back after). On a 2-core AMD EPYC (Zen 3) 1024² reaches the rate of 2048² within the noise of a
/// loaded machine, at an eighth of the time a call.
public struct SgemmPeak: Codable, Equatable, Sendable {
    /// The matrices' side.
    public var size: Int
    /// OpenBLAS threads it ran on.
    public var threads: Int
    /// Timed calls (the warm-up not counted).
    public var calls: Int
    /// 2·size³ / the best call's seconds / 10⁹.
    public var gflopsPerSecond: Double
    /// 2·size³ / the best call's CPU seconds (every thread of the process) / 10⁹: on a machine shared with other
    /// work, the rate while it ran, which wall time hides.
    public var gflopsPerCPUSecond: Double

    public init(size: Int, threads: Int, calls: Int, gflopsPerSecond: Double, gflopsPerCPUSecond: Double) {
        self.size = size
        self.threads = threads
        self.calls = calls
        self.gflopsPerSecond = gflopsPerSecond
        self.gflopsPerCPUSecond = gflopsPerCPUSecond
    }

    /// CPU seconds every thread of this process has run (`CLOCK_PROCESS_CPUTIME_ID`).
    public static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Measures the rate on `threads` OpenBLAS threads for about `seconds` (OpenBLAS's count put back after).
    public static func measure(size: Int = 1024, threads: Int = BLASThreads.count, seconds: Double = 0.3) -> SgemmPeak {
        precondition(size >= 1 && threads >= 1, "SgemmPeak: size and threads must be at least 1")
        let before = BLASThreads.count
        BLASThreads.set(threads)
        defer { BLASThreads.set(before) }
        let count = size * size
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        // The values of sgemm_peak.c: small, no denormals, no overflow.
        for i in 0..<count {
            a[i] = Float(i % 7) / 7 - 0.5
            b[i] = Float(i % 5) / 5 - 0.5
            c[i] = 0
        }
        func call() {
            sgemm(
                transA: false, transB: false, m: size, n: size, k: size, alpha: 1, a: a, lda: size, b: b, ldb: size,
                beta: 0, c: c, ldc: size)
        }
        call()  // warm-up: OpenBLAS's buffers and threads
        let start = DispatchTime.now().uptimeNanoseconds
        var best = UInt64.max
        var bestCPU = Double.infinity
        var calls = 0
        while calls < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let cpu0 = processCPUSeconds()
            call()
            bestCPU = min(bestCPU, max(processCPUSeconds() - cpu0, 1e-9))
            best = min(best, max(DispatchTime.now().uptimeNanoseconds - t0, 1))
            calls += 1
        }
        let flops = 2 * Double(size) * Double(size) * Double(size)
        return SgemmPeak(
            size: size, threads: threads, calls: calls, gflopsPerSecond: flops / Double(best),
            gflopsPerCPUSecond: flops / bestCPU / 1e9)
    }
}
