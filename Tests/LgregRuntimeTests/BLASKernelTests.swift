import LgregRuntime
import Testing

/// Which OpenBLAS kernels lgreg replaces: the fallback `Prescott` kernels OpenBLAS 0.3.21 picks for a CPU model it
/// does not know, never a choice the user made with `OPENBLAS_CORETYPE`.
struct BLASKernelTests {
    @Test func aFallbackToOldKernelsGetsTheBestCoreTypeTheCPURuns() {
        #expect(BLASThreads.betterCoreType(core: "Prescott", chosen: nil, avx512: true) == "SkylakeX")
        #expect(BLASThreads.betterCoreType(core: "Prescott", chosen: nil, avx512: false) == "Haswell")
        #expect(BLASThreads.betterCoreType(core: "Sandybridge", chosen: "", avx512: false) == "Haswell")
    }

    @Test func modernKernelsOrAUsersChoiceGetNoHint() {
        #expect(BLASThreads.betterCoreType(core: "SkylakeX", chosen: nil, avx512: true) == nil)
        #expect(BLASThreads.betterCoreType(core: "Haswell", chosen: nil, avx512: true) == nil)
        #expect(BLASThreads.betterCoreType(core: "Zen", chosen: nil, avx512: false) == nil)
        #expect(BLASThreads.betterCoreType(core: "Prescott", chosen: "Prescott", avx512: true) == nil)
    }

    @Test func aComputeCommandStartsAgainWithTheBetterKernelsUnlessTheUserChose() {
        #if arch(x86_64)
            // Set, whatever it says, the variable is the user's choice.
            #expect(BLASThreads.coreTypeToSet(environment: ["OPENBLAS_CORETYPE": BLASThreads.coreName]) == nil)
            let core = BLASThreads.coreName
            let better = BLASThreads.coreTypeToSet(environment: [:])
            if ["SkylakeX", "Haswell", "Zen", "Cooperlake", "SapphireRapids"].contains(core) {
                #expect(better == nil, "\(core): \(better ?? "")")
            } else {
                let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
                #expect(
                    better == (cpuinfo.contains(" avx512bw") ? "SkylakeX" : "Haswell"), "\(core): \(better ?? "none")")
            }
        #endif
    }
}
