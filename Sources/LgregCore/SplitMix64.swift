/// Steele, Lea and Flood's SplitMix64: x += 0x9E3779B97F4A7C15, then two xor-shift-multiply rounds.
/// Small, fast and the same on every platform, so a seed names one learngene, layer map or shuffle
/// everywhere. The one seeded generator of lgreg, with one way to draw an integer: `uniform(below:)`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1]: the top 53 bits, plus one, over 2⁵³.
    public mutating func nextUnit() -> Double { Double((next() >> 11) + 1) / 9_007_199_254_740_992 }

    /// A uniform integer in 0..<n by rejection: draws below 2⁶⁴ mod n are redrawn, then the draw is taken
    /// mod n. Fixed here (rather than `Int.random(in:using:)`, whose algorithm the standard library does not
    /// promise) so a seed gives the same random-assigned map, shuffle or crop on every platform and Swift version.
    public mutating func uniform(below n: Int) -> Int {
        precondition(n > 0, "uniform(below:) needs a positive bound")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let x = next()
            if x >= threshold { return Int(x % bound) }
        }
    }
}
