import CBLAS
import Foundation
import LgregCore

/// OpenBLAS's thread pool, which every GEMM of the runtime runs on.
public enum BLASThreads {
    /// Threads OpenBLAS uses now.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses (at least 1).
    public static func set(_ threads: Int) {
        precondition(threads >= 1, "thread count must be at least 1")
        openblas_set_num_threads(Int32(threads))
    }

    /// The kernels OpenBLAS chose when it was loaded (`openblas_get_corename`): `SkylakeX`, `Haswell`, `Prescott`, …
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The `OPENBLAS_CORETYPE` to suggest when OpenBLAS fell back to kernels older than the CPU runs, else nil.
    /// OpenBLAS 0.3.21 picks its kernels by CPU model, and a model it does not know (some recent Xeons) gets its
    /// SSE3 `Prescott` kernels, whose SGEMM runs at a fifth of the AVX-512 ones' speed; lgreg's build itself needs
    /// AVX2, so any machine that runs it has better kernels than that.
    /// - Parameters:
    ///   - core: the kernels OpenBLAS chose
    ///   - chosen: `OPENBLAS_CORETYPE` as set, when it is (then the user chose, and nothing is suggested)
    ///   - avx512: whether the CPU runs AVX-512
    public static func betterCoreType(core: String, chosen: String?, avx512: Bool) -> String? {
        guard chosen?.isEmpty ?? true else { return nil }
        let modern: Set<String> = [
            "haswell", "skylakex", "cooperlake", "sapphirerapids", "zen", "armv8", "neoversen1", "neoversen2",
            "neoversev1",
        ]
        guard !modern.contains(core.lowercased()) else { return nil }
        return avx512 ? "SkylakeX" : "Haswell"
    }

    /// The `OPENBLAS_CORETYPE` a compute command should start again with, or nil: the one `betterCoreType`
    /// suggests for the kernels this process loaded, unless the environment already names one.
    public static func coreTypeToSet(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        #if arch(x86_64)
            return betterCoreType(
                core: coreName, chosen: environment["OPENBLAS_CORETYPE"], avx512: CPUSupport.hasAVX512OnThisCPU())
        #else
            return nil
        #endif
    }
}
