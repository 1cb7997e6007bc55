import CBLAS

/// OpenBLAS's thread pool, which every GEMM of the runtime runs on.
public enum BLASThreads {
    /// Threads OpenBLAS uses now.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses (at least 1).
    public static func set(_ threads: Int) {
        precondition(threads >= 1, "thread count must be at least 1")
        openblas_set_num_threads(Int32(threads))
    }
}
