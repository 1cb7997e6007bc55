// Element-wise and row-wise activations.

/// Exact GELU: out = 0.5 · x · (1 + erf(x / √2)) over `count` values (`out` may be `inp`).
///
/// The erf form PyTorch's `nn.GELU()` computes (not the tanh approximation).
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    @inline(__always) func gelu(_ x: Float) -> Float { 0.5 * x * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5)) }
    // In place, one pointer: the vectorizer's overlap check would otherwise send out == inp down its scalar path.
    if UnsafePointer(out) == inp {
        for i in 0..<count { out[i] = gelu(out[i]) }
    } else {
        for i in 0..<count { out[i] = gelu(inp[i]) }
    }
}

/// Row-wise softmax: out[r, j] = exp(inp[r, j] − maxₖ inp[r, k]) / Σₖ exp(inp[r, k] − maxₖ inp[r, k]).
///
/// - Parameters:
///   - out: [rows, cols] (may be `inp`)
///   - inp: [rows, cols]
public func softmaxForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let x = inp + r * cols
        let y = out + r * cols
        let maxValue = VectorMath.max(x, count: cols)
        if UnsafePointer(y) == x {  // one pointer in place, so the loop vectorizes (see geluForward)
            for j in 0..<cols { y[j] = VectorMath.exp(y[j] - maxValue) }
        } else {
            for j in 0..<cols { y[j] = VectorMath.exp(x[j] - maxValue) }
        }
        let scale = 1 / VectorMath.sum(y, count: cols)
        for j in 0..<cols { y[j] *= scale }
    }
}

/// Residual add: out = a + b over `count` values (`out` may be `a` or `b`).
public func residualForward(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    count: Int
) {
    if UnsafePointer(out) == a {  // one pointer in place, so the loop vectorizes (see geluForward)
        for i in 0..<count { out[i] += b[i] }
    } else {
        for i in 0..<count { out[i] = a[i] + b[i] }
    }
}

/// Backward of the exact (erf) GELU.
///
/// Forward (`geluForward`): `out = 0.5 · x · (1 + erf(x / √2))`.
/// Backward (accumulating): `dinp += dout · (0.5 · (1 + erf(x / √2)) + x · φ(x))`, φ(x) = exp(−x²/2) / √(2π).
/// Uses the runtime's branch-free `VectorMath.erf` and `VectorMath.exp`, which the optimizer vectorizes.
public func geluBackward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, count: Int
) {
    for i in 0..<count {
        let x = inp[i]
        let cdf = 0.5 * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5))
        let pdf = 0.398_942_280_401_432_7 * VectorMath.exp(-0.5 * x * x)
        dinp[i] += dout[i] * (cdf + x * pdf)
    }
}
