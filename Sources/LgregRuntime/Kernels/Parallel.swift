import Dispatch

/// Splits the element-wise and per-head work of the kernels over as many threads as OpenBLAS runs its GEMMs on
/// (`BLASThreads.count`), so that `--threads 1` means one thread everywhere.
public enum KernelThreads {
    /// Whether attention splits its (image, head) pairs over the threads (on single-threaded OpenBLAS) rather than
    /// running them in order on multi-threaded OpenBLAS; on by default, a switch for the benchmarks' comparison.
    nonisolated(unsafe) public static var splitsAttention = true

    /// Calls `body(worker, range)` for contiguous chunks covering `0..<count`, one chunk per thread, side by side
    /// when every thread gets at least `minimumPerThread` items; else once, inline, with all of them. Each item is
    /// computed the same whichever chunk holds it, so results do not depend on the thread count. `threads`:
    /// at most this many (default: `BLASThreads.count`).
    @inlinable
    public static func forEachChunk(
        _ count: Int, minimumPerThread: Int, threads limit: Int? = nil,
        _ body: (_ worker: Int, _ range: Range<Int>) -> Void
    ) {
        let threads = Swift.min(limit ?? BLASThreads.count, count / Swift.max(minimumPerThread, 1))
        if threads <= 1 {
            body(0, 0..<count)
            return
        }
        // The chunks touch disjoint items, which is what makes sharing `body` across the threads safe.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedChunkBody(body)
            DispatchQueue.concurrentPerform(iterations: threads) { i in
                shared.body(i, (count * i / threads)..<(count * (i + 1) / threads))
            }
        }
    }

    /// A chunk body handed to `concurrentPerform`, whose closure must be `Sendable`.
    @usableFromInline
    struct UncheckedChunkBody: @unchecked Sendable {
        @usableFromInline let body: (Int, Range<Int>) -> Void
        @usableFromInline init(_ body: @escaping (Int, Range<Int>) -> Void) { self.body = body }
    }

    /// Runs `body` with OpenBLAS on one thread and gives it back its thread count after: for GEMMs that the
    /// caller's own threads run side by side (one per head).
    @inlinable
    public static func withSingleThreadedBLAS<T>(_ body: (_ threads: Int) -> T) -> T {
        let threads = BLASThreads.count
        if threads <= 1 { return body(1) }
        BLASThreads.set(1)
        defer { BLASThreads.set(threads) }
        return body(threads)
    }
}
