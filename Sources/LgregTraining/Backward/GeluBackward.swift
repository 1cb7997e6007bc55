import LgregRuntime

/// Backward of the exact (erf) GELU.
///
/// Forward (`geluForward`): `out = 0.5 · x · (1 + erf(x / √2))`.
/// Backward (accumulating): `dinp += dout · (0.5 · (1 + erf(x / √2)) + x · φ(x))`, φ(x) = exp(−x²/2) / √(2π).
/// Vectorized with the runtime's `VectorMath.erf` and `VectorMath.exp`, the functions its forward uses.
public func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    @inline(__always) func derivative(_ x: FloatVector) -> FloatVector {
        let cdf = 0.5 * (1 + VectorMath.erf(x * invSqrt2))
        let pdf = invSqrt2Pi * VectorMath.exp(-0.5 * x * x)
        return cdf + x * pdf
    }
    let lanes = FloatVector.scalarCount
    var i = 0
    while i + lanes <= count {
        let x = UnsafeRawPointer(inp + i).loadUnaligned(as: FloatVector.self)
        let dy = UnsafeRawPointer(dout + i).loadUnaligned(as: FloatVector.self)
        let acc = UnsafeRawPointer(dinp + i).loadUnaligned(as: FloatVector.self)
        UnsafeMutableRawPointer(dinp + i).storeBytes(of: acc + dy * derivative(x), as: FloatVector.self)
        i += lanes
    }
    if i < count {
        var x = FloatVector()
        for j in 0..<(count - i) { x[j] = inp[i + j] }
        let d = derivative(x)
        for j in 0..<(count - i) { dinp[i + j] += dout[i + j] * d[j] }
    }
}
