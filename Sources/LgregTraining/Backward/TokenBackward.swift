/// Backward of the token assembly: patch embeddings plus position embedding, after an optional class token.
///
/// Forward: `x[b, 0] = cls + pos[0]` (with a class token), `x[b, c + p] = patches[b, p] + pos[c + p]`, c = 1 or 0.
/// Backward (accumulating): `dpos[t] += Σ_b dx[b, t]`, `dcls += Σ_b dx[b, 0]`, `dpatches[b, p] += dx[b, c + p]`.
public func tokenEmbeddingBackward(
    dpatches: UnsafeMutablePointer<Float>, dpos: UnsafeMutablePointer<Float>, dcls: UnsafeMutablePointer<Float>?,
    dx: UnsafePointer<Float>, batch: Int, patches: Int, width: Int
) {
    let prefix = dcls == nil ? 0 : 1, tokens = patches + prefix
    for b in 0..<batch {
        let dxB = dx + b * tokens * width
        for t in 0..<tokens {
            let row = dxB + t * width, dp = dpos + t * width
            for i in 0..<width { dp[i] += row[i] }
        }
        if let dcls { for i in 0..<width { dcls[i] += dxB[i] } }
        let dst = dpatches + b * patches * width, src = dxB + prefix * width
        for i in 0..<(patches * width) { dst[i] += src[i] }
    }
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
