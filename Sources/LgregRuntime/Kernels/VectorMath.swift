// Elementary functions and reductions for the element-wise kernels (GELU, softmax, LayerNorm). Written as
// branch-free scalar code the optimizer vectorizes inside the kernels' plain loops (AVX2 on x86-64); Swift's
// generic SIMD lane operations (clamped, pointwiseMax, replacing) compile to per-lane loops, so the kernels
// avoid them.

/// Elementary functions and reductions for the runtime's element-wise kernels.
public enum VectorMath {
    /// eˣ by Cephes' `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2, eʳ by a degree-6 polynomial, times 2ⁿ
    /// built in the exponent bits; relative error below 3·10⁻⁷. Inputs are clamped to [−87.3, 88.7] (results
    /// stay normal floats: e^−87.3 ≈ 1.2·10⁻³⁸ stands in for anything smaller).
    @inlinable @inline(__always)
    public static func exp(_ input: Float) -> Float {
        let x = input < -87.3 ? -87.3 : (input > 88.7 ? 88.7 : input)
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer, held in the low mantissa bits.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
        return p * Float(bitPattern: exponent)
    }

    /// erf(x) by Abramowitz & Stegun 7.1.26: 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−x²), t = 1/(1 + 0.3275911·|x|),
    /// odd in x; absolute error below 2·10⁻⁷.
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        let ax = abs(x)
        let t = 1 / (1 + 0.327_591_1 * ax)
        var poly: Float = 1.061_405_429
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        let y = 1 - poly * t * exp(-(ax * ax))
        return x < 0 ? -y : y
    }

    /// Σ inp[i] for i < count, in eight interleaved partial sums (fast, and more accurate than one).
    @inlinable
    public static func sum(_ inp: UnsafePointer<Float>, count: Int) -> Float {
        var s = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            s += UnsafeRawPointer(inp + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var tail: Float = 0
        while i < count {
            tail += inp[i]
            i += 1
        }
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail
    }

    /// Σ (inp[i] − center)² for i < count, in eight interleaved partial sums.
    @inlinable
    public static func sumOfSquares(_ inp: UnsafePointer<Float>, count: Int, center: Float) -> Float {
        var s = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(inp + i).loadUnaligned(as: SIMD8<Float>.self) - center
            s += d * d
            i += 8
        }
        var tail: Float = 0
        while i < count {
            tail += (inp[i] - center) * (inp[i] - center)
            i += 1
        }
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail
    }

    /// max inp[i] for i < count (count ≥ 1), in eight interleaved running maxima.
    @inlinable
    public static func max(_ inp: UnsafePointer<Float>, count: Int) -> Float {
        var m0 = inp[0]
        var m1 = inp[0]
        var m2 = inp[0]
        var m3 = inp[0]
        var m4 = inp[0]
        var m5 = inp[0]
        var m6 = inp[0]
        var m7 = inp[0]
        var i = 0
        while i + 8 <= count {
            let p = inp + i
            m0 = p[0] > m0 ? p[0] : m0
            m1 = p[1] > m1 ? p[1] : m1
            m2 = p[2] > m2 ? p[2] : m2
            m3 = p[3] > m3 ? p[3] : m3
            m4 = p[4] > m4 ? p[4] : m4
            m5 = p[5] > m5 ? p[5] : m5
            m6 = p[6] > m6 ? p[6] : m6
            m7 = p[7] > m7 ? p[7] : m7
            i += 8
        }
        while i < count {
            m0 = inp[i] > m0 ? inp[i] : m0
            i += 1
        }
        return Swift.max(
            Swift.max(Swift.max(m0, m1), Swift.max(m2, m3)), Swift.max(Swift.max(m4, m5), Swift.max(m6, m7)))
    }
}
