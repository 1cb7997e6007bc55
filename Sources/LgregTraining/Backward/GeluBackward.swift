#if canImport(Glibc)
import Glibc
#endif

/// Backward of the exact (erf) GELU.
///
/// Forward (`geluForward`): `out = 0.5 · x · (1 + erf(x / √2))`.
/// Backward (accumulating): `dinp += dout · (0.5 · (1 + erf(x / √2)) + x · φ(x))`, φ(x) = exp(−x²/2) / √(2π).
public func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    for i in 0..<count {
        let x = inp[i]
        let cdf = 0.5 * (1 + erff(x * invSqrt2))
        let pdf = invSqrt2Pi * expf(-0.5 * x * x)
        dinp[i] += dout[i] * (cdf + x * pdf)
    }
}
