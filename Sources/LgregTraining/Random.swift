import LgregCore
import LgregRuntime

/// Stream identifiers of a training run's random draws.
public enum RandomStream: UInt64, Sendable {
    case shuffle = 1
    case augment = 2
    case dropPath = 3
    case initialization = 4
}

extension SplitMix64 {
    /// The generator for one purpose (`stream`) at one position (`index`: the epoch, step or image) of a run
    /// seeded `seed`. Streams never depend on how many numbers another drew, so a run resumed from a
    /// checkpoint redraws exactly the crops, flips, shuffles and drop-path masks of an uninterrupted one.
    public init(seed: UInt64, stream: RandomStream, index: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream.rawValue &* 0x9E37_79B9_7F4A_7C15))
        let base = mixer.next()
        self.init(seed: base ^ (index &* 0xBF58_476D_1CE4_E5B9) &+ index)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
