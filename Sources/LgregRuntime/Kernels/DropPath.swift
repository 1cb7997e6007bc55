// Drop-path (stochastic depth) on a residual branch, as timm's `drop_path`, with its backward.

/// Drop-path forward, in place: branch[b, i] ← keep[b] · branch[b, i], keep[b] being 0 (the image's branch
/// dropped) or 1/(1 − rate) (kept, rescaled).
///
/// - Parameters:
///   - branch: [batch, span]
///   - keep: [batch] multipliers
public func dropPathForward(_ branch: UnsafeMutablePointer<Float>, keep: ArraySlice<Float>, batch: Int, span: Int) {
    for b in 0..<batch {
        let m = keep[keep.startIndex + b]
        let row = branch + b * span
        for i in 0..<span { row[i] *= m }
    }
}

/// Backward of drop-path on a residual branch: out = x + keep[b] · branch, so the branch's gradient is
/// dbranch[b, i] = keep[b] · dout[b, i] (written, not accumulated). With `keep` nil (no drop-path) it is dout.
///
/// - Parameters:
///   - dbranch: [batch, span]
///   - dout: [batch, span], the gradient of the residual sum
///   - keep: [batch] multipliers of the forward pass, or nil
public func dropPathBackward(
    dbranch: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, keep: ArraySlice<Float>?,
    batch: Int, span: Int
) {
    dbranch.update(from: dout, count: batch * span)
    if let keep { dropPathForward(dbranch, keep: keep, batch: batch, span: span) }
}
