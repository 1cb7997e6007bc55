import Dispatch

/// Splits the element-wise and per-head work of the kernels over as many threads as OpenBLAS runs its GEMMs on
/// (`BLASThreads.count`), so that `--threads 1` means one thread everywhere.
public enum KernelThreads {
    /// Whether attention splits its (image, head) pairs over the threads (on single-threaded OpenBLAS) rather than
    /// running them in order on multi-threaded OpenBLAS. Off by default: the split sets OpenBLAS's process-wide
    /// thread count around each attention, which is safe only when no other thread of the process runs GEMMs at
    /// the same time (a GEMM in flight on another thread would see its thread count change). The lgreg command and
    /// the benchmarks, one caller each, switch it on at start; a library embedding the runtime in a server that
    /// runs models side by side leaves it off.
    nonisolated(unsafe) public static var splitsAttention = false

    /// Calls `body(chunk, range)` for contiguous chunks covering `0..<count`, `chunksPerThread` chunks per thread
    /// (at most one per item), side by side when every thread gets at least `minimumPerThread` items; else once,
    /// inline, as chunk 0 with all of them. No two calls run with the same chunk index at once. Each item is
    /// computed the same whichever chunk holds it, so results do not depend on the thread count. `threads`:
    /// at most this many (default: `BLASThreads.count`).
    @inlinable
    public static func forEachChunk(
        _ count: Int, minimumPerThread: Int, threads limit: Int? = nil, chunksPerThread: Int = 1,
        _ body: (_ worker: Int, _ range: Range<Int>) -> Void
    ) {
        let threads = Swift.min(limit ?? BLASThreads.count, count / Swift.max(minimumPerThread, 1))
        if threads <= 1 {
            body(0, 0..<count)
            return
        }
        // More chunks than threads let a thread that the machine's other load slowed take fewer of them.
        let chunks = Swift.min(threads * Swift.max(chunksPerThread, 1), count)
        // The chunks touch disjoint items, which is what makes sharing `body` across the threads safe.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedChunkBody(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                shared.body(i, (count * i / chunks)..<(count * (i + 1) / chunks))
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
