/// Mean over tokens: out[b, c] = (1 / (tokens − skip)) · Σ_{t = skip}^{tokens − 1} inp[b, t, c].
///
/// timm's `global_pool='avg'` skips the prefix (class) tokens: pass `skip: 1` with a class token, else 0.
/// - Parameters:
///   - out: [batch, width]
///   - inp: [batch, tokens, width]
public func meanPoolForward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    batch: Int, tokens: Int, width: Int, skip: Int
) {
    let scale = 1 / Float(tokens - skip)
    for b in 0..<batch {
        let y = out + b * width
        y.update(repeating: 0, count: width)
        for t in skip..<tokens { residualForward(y, y, inp + (b * tokens + t) * width, count: width) }
        for c in 0..<width { y[c] *= scale }
    }
}

/// Class-token pooling: out[b, c] = inp[b, 0, c] (timm's `global_pool='token'`).
///
/// - Parameters:
///   - out: [batch, width]
///   - inp: [batch, tokens, width]
public func classPoolForward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
    batch: Int, tokens: Int, width: Int
) {
    for b in 0..<batch { (out + b * width).update(from: inp + b * tokens * width, count: width) }
}

/// Backward of the mean over tokens `first ..< tokens` of each image.
///
/// Forward: `pooled[b] = (1 / (tokens − first)) · Σ_{t ≥ first} x[b, t]`.
/// Backward (accumulating): `dx[b, t] += dpooled[b] / (tokens − first)` for t ≥ first.
public func meanPoolBackward(
    dx: UnsafeMutablePointer<Float>, dpooled: UnsafePointer<Float>, batch: Int, tokens: Int, first: Int, width: Int
) {
    let scale = 1 / Float(tokens - first)
    for b in 0..<batch {
        let dp = dpooled + b * width
        for t in first..<tokens {
            let row = dx + (b * tokens + t) * width
            for i in 0..<width { row[i] += dp[i] * scale }
        }
    }
}

/// Backward of class-token pooling.
///
/// Forward (`classPoolForward`): `out[b] = inp[b, 0]`.
/// Backward (accumulating): `dinp[b, 0] += dout[b]`; the other tokens get nothing.
public func classPoolBackward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int
) {
    for b in 0..<batch {
        residualForward(dinp + b * tokens * width, dinp + b * tokens * width, dout + b * width, count: width)
    }
}
