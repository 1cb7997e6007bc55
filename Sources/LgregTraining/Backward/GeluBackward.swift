import LgregRuntime

/// Backward of the exact (erf) GELU.
///
/// Forward (`geluForward`): `out = 0.5 · x · (1 + erf(x / √2))`.
/// Backward (accumulating): `dinp += dout · (0.5 · (1 + erf(x / √2)) + x · φ(x))`, φ(x) = exp(−x²/2) / √(2π).
/// Uses the runtime's branch-free `VectorMath.erf` and `VectorMath.exp`, which the optimizer vectorizes.
public func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = inp[i]
        let cdf = 0.5 * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5))
        let pdf = 0.398_942_280_401_432_7 * VectorMath.exp(-0.5 * x * x)
        dinp[i] += dout[i] * (cdf + x * pdf)
    }
}
