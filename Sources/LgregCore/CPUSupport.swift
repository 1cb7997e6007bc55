#if arch(x86_64)
    import CCPUID
#endif

/// Whether this CPU runs lgreg's x86-64 build, which is compiled for AVX2 and FMA (`-target-cpu haswell`:
/// Intel Haswell, AMD Excavator and later). Checked by the `lgreg` command before any runtime code runs, so
/// that an older CPU gets a message and exit code 69 (EX_UNAVAILABLE) instead of SIGILL. On aarch64 nothing
/// is required beyond the architecture itself.
public enum CPUSupport {
    /// The exit code for a CPU lgreg was not built for: sysexits' EX_UNAVAILABLE.
    public static let unavailableExitCode: Int32 = 69

    /// The features lgreg's x86-64 build needs that a CPU with these feature bits lacks, in the order AVX,
    /// AVX2, FMA (an empty list: the CPU runs lgreg).
    ///
    /// - Parameters:
    ///   - leaf1ECX: CPUID leaf 1, ECX: FMA is bit 12, OSXSAVE bit 27, AVX bit 28
    ///   - leaf7EBX: CPUID leaf 7 sub-leaf 0, EBX: AVX2 is bit 5 (0 when the CPU has no leaf 7)
    ///   - xcr0: XCR0 when OSXSAVE is set, else nil; the OS must save SSE (bit 1) and AVX (bit 2) state, or
    ///     no AVX instruction may run
    public static func missingFeatures(leaf1ECX: UInt32, leaf7EBX: UInt32, xcr0: UInt64?) -> [String] {
        func has(_ word: UInt32, bit: UInt32) -> Bool { word >> bit & 1 == 1 }
        let osSavesAVXState = has(leaf1ECX, bit: 27) && (xcr0 ?? 0) & 0b110 == 0b110
        let avx = has(leaf1ECX, bit: 28) && osSavesAVXState
        var missing: [String] = []
        if !avx { missing.append("AVX") }
        if !(avx && has(leaf7EBX, bit: 5)) { missing.append("AVX2") }
        if !(avx && has(leaf1ECX, bit: 12)) { missing.append("FMA") }
        return missing
    }

    /// The features this CPU lacks for lgreg's build (always none on aarch64).
    public static func missingOnThisCPU() -> [String] {
        #if arch(x86_64)
            var leaf1: [UInt32] = [0, 0, 0, 0]
            var leaf7: [UInt32] = [0, 0, 0, 0]
            _ = lgreg_cpuid(1, 0, &leaf1)
            _ = lgreg_cpuid(7, 0, &leaf7)
            let osxsave = leaf1[2] >> 27 & 1 == 1
            return missingFeatures(leaf1ECX: leaf1[2], leaf7EBX: leaf7[1], xcr0: osxsave ? lgreg_xgetbv0() : nil)
        #else
            return []
        #endif
    }

    /// Whether this CPU runs AVX-512 (F, DQ, BW and VL, with the OS saving the opmask and ZMM state): what
    /// OpenBLAS's SkylakeX kernels need.
    public static func hasAVX512OnThisCPU() -> Bool {
        #if arch(x86_64)
            var leaf1: [UInt32] = [0, 0, 0, 0]
            var leaf7: [UInt32] = [0, 0, 0, 0]
            _ = lgreg_cpuid(1, 0, &leaf1)
            _ = lgreg_cpuid(7, 0, &leaf7)
            guard leaf1[2] >> 27 & 1 == 1 else { return false }
            return hasAVX512(leaf7EBX: leaf7[1], xcr0: lgreg_xgetbv0())
        #else
            return false
        #endif
    }

    /// AVX-512 F (EBX bit 16), DQ (17), BW (30) and VL (31) in CPUID leaf 7, and XCR0 saving SSE, AVX, opmask
    /// and both ZMM halves (bits 1, 2, 5, 6, 7).
    public static func hasAVX512(leaf7EBX: UInt32, xcr0: UInt64) -> Bool {
        let features: UInt32 = 1 << 16 | 1 << 17 | 1 << 30 | 1 << 31
        return leaf7EBX & features == features && xcr0 & 0b1110_0110 == 0b1110_0110
    }

    /// The message for a CPU that lacks `missing`, or nil when nothing is missing.
    public static func refusal(missing: [String]) -> String? {
        guard !missing.isEmpty else { return nil }
        return "lgreg: this CPU lacks \(missing.joined(separator: ", ")); lgreg's x86-64 build needs AVX2 and FMA "
            + "(Intel Haswell, AMD Excavator or later; or an aarch64 machine)."
    }
}
