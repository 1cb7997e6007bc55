/// SplitMix64 (Steele, Lea & Flood): a small, seedable generator whose stream depends only on its seed, so
/// shuffles, crops, flips and drop-path masks are reproduced exactly by a run resumed from a checkpoint.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one purpose (`stream`) at one position (`index`, e.g. the epoch or step) of a run seeded
    /// `seed`; streams never depend on how many numbers another stream drew.
    public init(seed: UInt64, stream: UInt64, index: UInt64) {
        var mixer = SeededGenerator(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        let base = mixer.next()
        self.init(seed: base ^ (index &* 0xBF58_476D_1CE4_E5B9) &+ index)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in 0 ..< bound.
    public mutating func nextInt(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Stream identifiers of a training run.
    public enum Stream: UInt64 {
        case shuffle = 1, augment = 2, dropPath = 3, initialization = 4, subset = 5
    }
}
