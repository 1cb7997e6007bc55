// Element-wise and row-wise activations.

/// Exact GELU: out = 0.5 · x · (1 + erf(x / √2)) over `count` values (`out` may be `inp`).
///
/// The erf form PyTorch's `nn.GELU()` computes (not the tanh approximation).
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    VectorMath.map(out, inp, count: count) { x in
        0.5 * x * (1 + VectorMath.erf(x * 0.707_106_781_186_547_5))
    }
}

/// Row-wise softmax: out[r, j] = exp(inp[r, j] − maxₖ inp[r, k]) / Σₖ exp(inp[r, k] − maxₖ inp[r, k]).
///
/// - Parameters:
///   - out: [rows, cols] (may be `inp`)
///   - inp: [rows, cols]
public func softmaxForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let x = inp + r * cols, y = out + r * cols
        let maxValue = VectorMath.max(x, count: cols)
        VectorMath.map(y, x, count: cols) { VectorMath.exp($0 - maxValue) }
        let total = VectorMath.sum(UnsafePointer(y), count: cols) { $0 }
        let scale = 1 / total
        VectorMath.map(y, UnsafePointer(y), count: cols) { $0 * scale }
    }
}

/// Residual add: out = a + b over `count` values (`out` may be `a` or `b`).
public func residualForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                            count: Int) {
    let lanes = FloatVector.scalarCount
    var i = 0
    while i + lanes <= count {
        let sum = UnsafeRawPointer(a + i).loadUnaligned(as: FloatVector.self)
            + UnsafeRawPointer(b + i).loadUnaligned(as: FloatVector.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: sum, as: FloatVector.self)
        i += lanes
    }
    while i < count { out[i] = a[i] + b[i]; i += 1 }
}
