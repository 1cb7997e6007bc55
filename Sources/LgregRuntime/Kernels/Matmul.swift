import CBLAS

// Matrix products. Every matrix is row-major; a linear layer's weight is [outDim, inDim] as PyTorch stores it.

/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major, through one `cblas_sgemm` call.
///
/// The one door to OpenBLAS: it checks the dimensions and leading dimensions before handing pointers over
/// (OpenBLAS would print a complaint and return without computing). `op(X)` is `X` or, when `transX`, `Xᵀ`
/// read from a matrix stored `[k×m]` (A) or `[n×k]` (B).
@inlinable
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small for \(transA ? "Aᵀ" : "A") with m=\(m) k=\(k)")
    precondition(ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small for \(transB ? "Bᵀ" : "B") with k=\(k) n=\(n)")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small for n=\(n)")
    precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: a dimension exceeds Int32")
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
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
public func matmulForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                          _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                          rows: Int, inDim: Int, outDim: Int) {
    if let bias {
        for r in 0..<rows { (out + r * outDim).update(from: bias, count: outDim) }
    }
    sgemm(transA: false, transB: true, m: rows, n: outDim, k: inDim, alpha: 1,
          a: inp, lda: inDim, b: weight, ldb: inDim, beta: bias == nil ? 0 : 1, c: out, ldc: outDim)
}

/// The same product as `matmulForward`, out = inp · Wᵀ + b, by three plain loops summed in `Double`.
///
/// Kept beside the BLAS path as the reference the tests compare it with; never used for real work.
public func referenceMatmulForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                   _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                   rows: Int, inDim: Int, outDim: Int) {
    for r in 0..<rows {
        for o in 0..<outDim {
            var sum = Double(bias?[o] ?? 0)
            for i in 0..<inDim { sum += Double(inp[r * inDim + i]) * Double(weight[o * inDim + i]) }
            out[r * outDim + o] = Float(sum)
        }
    }
}
