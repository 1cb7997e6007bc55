// Vectorized elementary functions for the element-wise kernels (GELU, softmax, losses).

/// The SIMD width the element-wise kernels process at once.
public typealias FloatVector = SIMD16<Float>

/// Elementary functions on `FloatVector`, accurate to a few units in the last place, for the kernels'
/// inner loops (the standard library has no vector `exp` or `erf`).
public enum VectorMath {
    /// eˣ by Cephes' `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2, eʳ by a degree-6 polynomial, times 2ⁿ
    /// built in the exponent bits. Inputs are clamped to [−87.3, 88.7] (results stay normal floats).
    @inlinable
    public static func exp(_ input: FloatVector) -> FloatVector {
        let x = input.clamped(lowerBound: FloatVector(repeating: -87.3), upperBound: FloatVector(repeating: 88.7))
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer, held in the low mantissa bits.
        let magic = FloatVector(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = FloatVector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: FloatVector.self)
        return p * scale
    }

    /// erf(x) by Abramowitz & Stegun 7.1.26: 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−x²), t = 1/(1 + 0.3275911·|x|),
    /// odd in x; absolute error below 2·10⁻⁷.
    @inlinable
    public static func erf(_ x: FloatVector) -> FloatVector {
        let ax = x.replacing(with: -x, where: x .< 0)
        let one = FloatVector(repeating: 1)
        let t = one / (one + 0.327_591_1 * ax)
        var poly = FloatVector(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        poly = poly * t
        let y = one - poly * exp(-(ax * ax))
        return y.replacing(with: -y, where: x .< 0)
    }

    /// Applies `body` to `count` floats from `inp`, writing `out` (which may be `inp`), a vector at a time;
    /// the tail is padded with zeros and only its valid lanes are stored.
    @inlinable
    public static func map(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int,
                           _ body: (FloatVector) -> FloatVector) {
        let lanes = FloatVector.scalarCount
        var i = 0
        while i + lanes <= count {
            let v = UnsafeRawPointer(inp + i).loadUnaligned(as: FloatVector.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: body(v), as: FloatVector.self)
            i += lanes
        }
        if i < count {
            var v = FloatVector()
            for j in 0..<(count - i) { v[j] = inp[i + j] }
            let r = body(v)
            for j in 0..<(count - i) { out[i + j] = r[j] }
        }
    }

    /// Σ body(x) over `count` floats from `inp`, accumulated a vector at a time (tail lanes padded with `pad`,
    /// a value `body` maps to 0).
    @inlinable
    public static func sum(_ inp: UnsafePointer<Float>, count: Int, pad: Float = 0,
                           _ body: (FloatVector) -> FloatVector) -> Float {
        let lanes = FloatVector.scalarCount
        var acc = FloatVector()
        var i = 0
        while i + lanes <= count {
            acc += body(UnsafeRawPointer(inp + i).loadUnaligned(as: FloatVector.self))
            i += lanes
        }
        if i < count {
            var v = FloatVector(repeating: pad)
            for j in 0..<(count - i) { v[j] = inp[i + j] }
            acc += body(v)
        }
        return acc.sum()
    }

    /// max over `count` floats (count ≥ 1).
    @inlinable
    public static func max(_ inp: UnsafePointer<Float>, count: Int) -> Float {
        let lanes = FloatVector.scalarCount
        var acc = FloatVector(repeating: -.infinity)
        var i = 0
        while i + lanes <= count {
            acc = pointwiseMax(acc, UnsafeRawPointer(inp + i).loadUnaligned(as: FloatVector.self))
            i += lanes
        }
        var result = acc.max()
        while i < count { result = Swift.max(result, inp[i]); i += 1 }
        return result
    }
}
