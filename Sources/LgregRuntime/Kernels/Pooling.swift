/// Mean over tokens: out[b, c] = (1 / (tokens − skip)) · Σ_{t = skip}^{tokens − 1} inp[b, t, c].
///
/// timm's `global_pool='avg'` skips the prefix (class) tokens: pass `skip: 1` with a class token, else 0.
/// - Parameters:
///   - out: [batch, width]
///   - inp: [batch, tokens, width]
public func meanPoolForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                            batch: Int, tokens: Int, width: Int, skip: Int) {
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
public func classPoolForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                             batch: Int, tokens: Int, width: Int) {
    for b in 0..<batch { (out + b * width).update(from: inp + b * tokens * width, count: width) }
}
