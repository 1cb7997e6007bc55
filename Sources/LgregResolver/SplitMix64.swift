/// The resolver's seeded random numbers: SplitMix64 (Steele, Lea and Flood 2014), whose every step is
/// fixed here so a seed gives the same layer map and the same fresh weights on every platform and Swift
/// version (the standard library's `random(in:using:)` does not promise that).
///
/// state ← state + 0x9E3779B97F4A7C15; z ← state; z ← (z ⊕ (z ≫ 30))·0xBF58476D1CE4E5B9;
/// z ← (z ⊕ (z ≫ 27))·0x94D049BB133111EB; output z ⊕ (z ≫ 31).
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<n by rejection: draws below 2⁶⁴ mod n are redrawn, then the draw is taken mod n.
    public mutating func uniform(below n: Int) -> Int {
        precondition(n > 0, "uniform(below:) needs a positive bound")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let x = next()
            if x >= threshold { return Int(x % bound) }
        }
    }

    /// A uniform double in [0, 1): the top 53 bits of a draw times 2⁻⁵³.
    public mutating func unitInterval() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal draw truncated to [−2, 2] (timm's `trunc_normal_(std=1, a=-2, b=2)` before scaling),
    /// by Box–Muller, z = √(−2 ln u₁)·cos(2π u₂), redrawn while |z| > 2.
    public mutating func truncatedNormal() -> Double {
        while true {
            let u1 = 1 - unitInterval()   // (0, 1], so the log is finite
            let u2 = unitInterval()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            if abs(z) <= 2 { return z }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
