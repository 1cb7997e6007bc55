import CBLAS

// Matrix products. Every matrix is row-major; a linear layer's weight is [outDim, inDim] as PyTorch stores it.

/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major, through one `cblas_sgemm` call.
///
/// The one door to OpenBLAS: it checks the dimensions and leading dimensions before handing pointers over
/// (OpenBLAS would print a complaint and return without computing). `op(X)` is `X` or, when `transX`, `Xᵀ`
/// read from a matrix stored `[k×m]` (A) or `[n×k]` (B).
@inlinable
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(
        lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small for \(transA ? "Aᵀ" : "A") with m=\(m) k=\(k)")
    precondition(
        ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small for \(transB ? "Bᵀ" : "B") with k=\(k) n=\(n)")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small for n=\(n)")
    precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: a dimension exceeds Int32")
    if m == 0 || n == 0 { return }
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Linear layer: out[r, o] = Σᵢ inp[r, i] · weight[o, i] + bias[o], i.e. out = inp · Wᵀ + b.
///
/// - Parameters:
///   - out: [rows, outDim]
///   - inp: [rows, inDim]
///   - weight: [outDim, inDim]
///   - bias: [outDim], or nil for none
/// One GEMM over all rows (the whole batch's tokens at once); the bias is broadcast into `out` first and the
/// GEMM accumulates onto it.
public func matmulForward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
    rows: Int, inDim: Int, outDim: Int
) {
    if let bias {
        for r in 0..<rows { (out + r * outDim).update(from: bias, count: outDim) }
    }
    sgemm(
        transA: false, transB: true, m: rows, n: outDim, k: inDim, alpha: 1,
        a: inp, lda: inDim, b: weight, ldb: inDim, beta: bias == nil ? 0 : 1, c: out, ldc: outDim)
}

/// Linear layer accumulated onto its output, without bias: out[r, o] += Σᵢ inp[r, i] · weight[o, i], i.e.
/// out += inp · Wᵀ, one GEMM with β = 1. After `biasResidualForward` (out = x + b) it completes a residual branch,
/// out = x + inp · Wᵀ + b, with no separate branch buffer or residual pass.
///
/// - Parameters:
///   - out: [rows, outDim]
///   - inp: [rows, inDim]
///   - weight: [outDim, inDim]
public func matmulAccumulate(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    rows: Int, inDim: Int, outDim: Int
) {
    sgemm(
        transA: false, transB: true, m: rows, n: outDim, k: inDim, alpha: 1,
        a: inp, lda: inDim, b: weight, ldb: inDim, beta: 1, c: out, ldc: outDim)
}

/// The same product as `matmulForward`, out = inp · Wᵀ + b, by three plain loops summed in `Double`.
///
/// Kept beside the BLAS path as the reference the tests compare it with; never used for real work.
public func referenceMatmulForward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
    rows: Int, inDim: Int, outDim: Int
) {
    for r in 0..<rows {
        for o in 0..<outDim {
            var sum = Double(bias?[o] ?? 0)
            for i in 0..<inDim { sum += Double(inp[r * inDim + i]) * Double(weight[o * inDim + i]) }
            out[r * outDim + o] = Float(sum)
        }
    }
}

/// Backward of the linear layer.
///
/// Forward (`matmulForward`): `out[n, o] = bias[o] + Σ_c inp[n, c] · weight[o, c]`, with `inp` [rows, inFeatures],
/// `weight` [outFeatures, inFeatures] (PyTorch's layout) and `out` [rows, outFeatures].
/// Backward, accumulating (`+=`) into every gradient buffer:
/// - `dinp[n, c] += Σ_o dout[n, o] · weight[o, c]`  (dinp = dout · W)
/// - `dweight[o, c] += Σ_n dout[n, o] · inp[n, c]`  (dW = doutᵀ · inp)
/// - `dbias[o] += Σ_n dout[n, o]`
/// Pass `dinp: nil` when the input needs no gradient (the patch pixels).
public func matmulBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, inFeatures: Int, outFeatures: Int
) {
    matmulBackward(
        dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight, rows: rows,
        inFeatures: inFeatures, outFeatures: outFeatures, accumulateInput: true)
}

/// Backward of the linear layer as above, with `accumulateInput: false` writing `dinp = dout · W` (β = 0: its
/// old contents are ignored, so it needs no zeroing; the same values as accumulating onto zeros). `dweight` and
/// `dbias` still accumulate. The bias sum `dbias[o] += Σ_n dout[n, o]` runs over rows in order, vectorized
/// across o.
public func matmulBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows: Int, inFeatures: Int, outFeatures: Int, accumulateInput: Bool
) {
    if let dinp {
        sgemm(
            transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, alpha: 1,
            a: dout, lda: outFeatures, b: weight, ldb: inFeatures, beta: accumulateInput ? 1 : 0, c: dinp,
            ldc: inFeatures)
    }
    sgemm(
        transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, alpha: 1,
        a: dout, lda: outFeatures, b: inp, ldb: inFeatures, beta: 1, c: dweight, ldc: inFeatures)
    if let dbias {
        for row in 0..<rows { residualForward(dbias, dbias, dout + row * outFeatures, count: outFeatures) }
    }
}
