import Foundation
import Testing

@testable import LgregCore

/// The start-up CPU check: which of AVX, AVX2 and FMA a CPU with given feature bits lacks, hand-worked for
/// real CPU generations, and on this machine against the kernel's own report (/proc/cpuinfo).
@Suite struct CPUSupportTests {
    // CPUID.1:ECX bits: FMA 12, OSXSAVE 27, AVX 28. CPUID.7.0:EBX bit 5: AVX2. XCR0 bits 1 and 2: SSE and AVX state.
    let fma: UInt32 = 1 << 12, osxsave: UInt32 = 1 << 27, avx: UInt32 = 1 << 28, avx2: UInt32 = 1 << 5
    let sse4: UInt32 = 1 << 19 | 1 << 20

    @Test func haswellAndLaterHaveEverything() {
        #expect(CPUSupport.missingFeatures(leaf1ECX: sse4 | fma | osxsave | avx, leaf7EBX: avx2, xcr0: 0b111).isEmpty)
        // AVX-512 machines also save the opmask and ZMM state (XCR0 bits 5–7).
        #expect(
            CPUSupport.missingFeatures(leaf1ECX: sse4 | fma | osxsave | avx, leaf7EBX: avx2 | 1 << 16, xcr0: 0xE7)
                .isEmpty)
        #expect(CPUSupport.refusal(missing: []) == nil)
    }

    @Test func olderCPUsAreRefusedNamingWhatIsMissing() {
        // Sandy Bridge / Ivy Bridge: AVX, no AVX2, no FMA.
        #expect(
            CPUSupport.missingFeatures(leaf1ECX: sse4 | osxsave | avx, leaf7EBX: 0, xcr0: 0b111) == ["AVX2", "FMA"])
        // Nehalem / Westmere: SSE4.2 only, no OSXSAVE.
        #expect(CPUSupport.missingFeatures(leaf1ECX: sse4, leaf7EBX: 0, xcr0: nil) == ["AVX", "AVX2", "FMA"])
        // AMD Piledriver: AVX and FMA, no AVX2.
        #expect(CPUSupport.missingFeatures(leaf1ECX: sse4 | fma | osxsave | avx, leaf7EBX: 0, xcr0: 0b111) == ["AVX2"])
        let message = CPUSupport.refusal(missing: ["AVX2", "FMA"])
        #expect(message?.contains("lacks AVX2, FMA") == true && message?.contains("aarch64") == true)
        #expect(CPUSupport.unavailableExitCode == 69)
    }

    @Test func featuresTheOperatingSystemDoesNotEnableCountAsMissing() {
        let haswell = sse4 | fma | osxsave | avx
        // The OS saves SSE but not AVX (YMM) state: no AVX instruction may run.
        #expect(CPUSupport.missingFeatures(leaf1ECX: haswell, leaf7EBX: avx2, xcr0: 0b011) == ["AVX", "AVX2", "FMA"])
        // No OSXSAVE: XCR0 cannot be read and AVX is off, whatever the other bits say.
        #expect(
            CPUSupport.missingFeatures(leaf1ECX: haswell & ~osxsave, leaf7EBX: avx2, xcr0: nil) == [
                "AVX", "AVX2", "FMA",
            ])
    }

    @Test func thisCPUAgreesWithTheKernel() throws {
        #if arch(x86_64)
            let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
            let flags = Set(flagsLine.split(separator: " ").map(String.init))
            let expected = [("AVX", "avx"), ("AVX2", "avx2"), ("FMA", "fma")].filter { !flags.contains($0.1) }.map(\.0)
            #expect(CPUSupport.missingOnThisCPU() == expected)
        #else
            #expect(CPUSupport.missingOnThisCPU().isEmpty)
        #endif
    }

    @Test func avx512NeedsAllFourFeaturesAndTheOperatingSystemsZMMState() {
        let f: UInt32 = 1 << 16
        let dq: UInt32 = 1 << 17
        let bw: UInt32 = 1 << 30
        let vl: UInt32 = 1 << 31
        let fullState: UInt64 = 0b1110_0111  // x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
        #expect(CPUSupport.hasAVX512(leaf7EBX: f | dq | bw | vl | avx2, xcr0: fullState))
        // Xeon Phi (F without BW and VL) has no SkylakeX kernels.
        #expect(!CPUSupport.hasAVX512(leaf7EBX: f | dq | avx2, xcr0: fullState))
        // The OS does not save the ZMM registers: AVX-512 may not run.
        #expect(!CPUSupport.hasAVX512(leaf7EBX: f | dq | bw | vl, xcr0: 0b0000_0111))
    }

    @Test func avx512AgreesWithTheKernel() throws {
        #if arch(x86_64)
            let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
            let flags = Set(flagsLine.split(separator: " ").map(String.init))
            #expect(
                CPUSupport.hasAVX512OnThisCPU()
                    == ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains))
        #endif
    }
}
