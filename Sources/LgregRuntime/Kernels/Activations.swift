// Element-wise and row-wise activations.

/// Exact GELU: out = 0.5 · x · (1 + erf(x / √2)) over `count` values (`out` may be `inp`).
///
/// The erf form PyTorch's `nn.GELU()` computes (not the tanh approximation), with `VectorMath.erf` (absolute error
/// below 2·10⁻⁷). Split over the kernel threads (`KernelThreads`) for large counts.
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    KernelThreads.forEachChunk(count, minimumPerThread: elementwiseChunk) { _, range in
        geluChunk(out + range.lowerBound, inp + range.lowerBound, count: range.count)
    }
}

/// Items per thread below which the element-wise kernels stay on one thread (a chunk's work must outweigh the
/// hand-off).
let elementwiseChunk = 16_384

/// gelu(x) = 0.5 · x · (1 + erf(x / √2)), the scalar every GELU kernel applies.
@inline(__always) func gelu(_ x: Float) -> Float { 0.5 * x * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5)) }

/// `geluForward` on one thread.
@inline(__always)
private func geluChunk(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    // In place, one pointer: the vectorizer's overlap check would otherwise send out == inp down its scalar path.
    if UnsafePointer(out) == inp {
        for i in 0..<count { out[i] = gelu(out[i]) }
    } else {
        for i in 0..<count { out[i] = gelu(inp[i]) }
    }
}

/// Bias and exact GELU in one pass over a linear layer's bias-free output:
/// preActivation[r, c] ← preActivation[r, c] + bias[c], then out[r, c] = 0.5 · y · (1 + erf(y / √2)) with y the
/// biased value (`out` may be `preActivation`: inference keeps only the GELU).
///
/// - Parameters:
///   - out: [rows, cols]
///   - preActivation: [rows, cols], x·Wᵀ on entry, x·Wᵀ + b on return (what the GELU backward reads)
///   - bias: [cols]
public func biasGeluForward(
    _ out: UnsafeMutablePointer<Float>, preActivation: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
    rows: Int, cols: Int
) {
    KernelThreads.forEachChunk(rows, minimumPerThread: elementwiseChunk / cols + 1) { _, range in
        for r in range {
            let x = preActivation + r * cols
            let y = out + r * cols
            if y == x {  // one pointer in place, so the loop vectorizes (see geluChunk)
                for c in 0..<cols { x[c] = gelu(x[c] + bias[c]) }
            } else {
                for c in 0..<cols {
                    let v = x[c] + bias[c]
                    x[c] = v
                    y[c] = gelu(v)
                }
            }
        }
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
    KernelThreads.forEachChunk(count, minimumPerThread: elementwiseChunk) { _, range in
        let o = out + range.lowerBound
        let x = a + range.lowerBound
        let y = b + range.lowerBound
        if UnsafePointer(o) == x {  // one pointer in place, so the loop vectorizes (see geluChunk)
            for i in 0..<range.count { o[i] += y[i] }
        } else {
            for i in 0..<range.count { o[i] = x[i] + y[i] }
        }
    }
}

/// Residual stream plus a linear layer's bias, the start of a residual branch accumulated in place:
/// out[r, c] = x[r, c] + bias[c] (`out` may be `x`). A GEMM with β = 1 (`matmulAccumulate`) then adds the branch.
///
/// - Parameters:
///   - out, x: [rows, cols]
///   - bias: [cols]
public func biasResidualForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, cols: Int
) {
    KernelThreads.forEachChunk(rows, minimumPerThread: elementwiseChunk / cols + 1) { _, range in
        for r in range { residualForward(out + r * cols, x + r * cols, bias, count: cols) }
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
    geluBackward(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: true)
}

/// Backward of the exact (erf) GELU, `dinp (+)= dout · (0.5 · (1 + erf(x / √2)) + x · φ(x))` as in the
/// accumulating form above; with `accumulate: false` it writes `dinp` (whose old contents are ignored, so it needs
/// no zeroing). Split over the kernel threads for large counts.
public func geluBackward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, count: Int,
    accumulate: Bool
) {
    KernelThreads.forEachChunk(count, minimumPerThread: elementwiseChunk) { _, range in
        let dx = dinp + range.lowerBound
        let dy = dout + range.lowerBound
        let xs = inp + range.lowerBound
        @inline(__always) func derivative(_ x: Float) -> Float {
            let cdf = 0.5 * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5))
            let pdf = 0.398_942_280_401_432_7 * VectorMath.exp(-0.5 * x * x)
            return cdf + x * pdf
        }
        if accumulate {
            for i in 0..<range.count { dx[i] += dy[i] * derivative(xs[i]) }
        } else {
            for i in 0..<range.count { dx[i] = dy[i] * derivative(xs[i]) }
        }
    }
}
