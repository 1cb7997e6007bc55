import LgregCore
import Testing

@Suite struct SplitMix64Tests {
    /// Vigna's reference `splitmix64.c` seeded with 0 gives 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f.
    @Test func matchesTheReferenceStream() {
        var rng = SplitMix64(seed: 0)
        #expect(
            [rng.next(), rng.next(), rng.next()] == [
                0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f,
            ])
    }

    /// For a small bound the rejection threshold (2⁶⁴ mod 10 = 6) rejects nothing here, so the draws are the
    /// reference values mod 10: 5, 0, 9.
    @Test func uniformIsTheDrawModTheBound() {
        var rng = SplitMix64(seed: 0)
        #expect([rng.uniform(below: 10), rng.uniform(below: 10), rng.uniform(below: 10)] == [5, 0, 9])
    }

    /// With n = ⌊2⁶⁴/3⌋ + 1 = 6148914691236517206 the threshold 2⁶⁴ mod n is 6148914691236517204: the first two
    /// draws lie above it and are kept mod n, the third (0x06c45d188009454f) lies below and is redrawn, so the
    /// third value comes from the fourth draw. A biased `next() % n` would have returned 487617019471545679.
    @Test func uniformRedrawsBelowTheThreshold() {
        var rng = SplitMix64(seed: 0)
        let n = 6_148_914_691_236_517_206
        let draws = (0..<3).map { _ in rng.uniform(below: n) }
        #expect(draws == [3_996_379_034_185_573_123, 1_811_371_830_957_838_494, 5_611_781_994_307_508_032])
    }
}
