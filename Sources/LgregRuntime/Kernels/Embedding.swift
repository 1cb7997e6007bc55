/// Unfolds images into flattened patches, the input of the patch embedding's GEMM:
/// patches[b, gy·grid + gx, c·p² + i·p + j] = images[b, c, gy·p + i, gx·p + j].
///
/// - Parameters:
///   - patches: [batch, grid², channels · patch²]
///   - images: [batch, channels, imageSize, imageSize]
/// The column order matches a conv weight [width, channels, p, p] read as [width, channels·p²], so timm's
/// stride-p convolution `patch_embed.proj` becomes `matmulForward(tokens, patches, convWeight, convBias, …)`.
public func patchifyForward(
    _ patches: UnsafeMutablePointer<Float>, _ images: UnsafePointer<Float>,
    batch: Int, channels: Int, imageSize: Int, patchSize: Int
) {
    let grid = imageSize / patchSize
    let values = channels * patchSize * patchSize
    for b in 0..<batch {
        for gy in 0..<grid {
            for gx in 0..<grid {
                let row = patches + (b * grid * grid + gy * grid + gx) * values
                for c in 0..<channels {
                    for i in 0..<patchSize {
                        let src =
                            images + ((b * channels + c) * imageSize + gy * patchSize + i) * imageSize + gx * patchSize
                        (row + (c * patchSize + i) * patchSize).update(from: src, count: patchSize)
                    }
                }
            }
        }
    }
}

/// Assembles the token sequence and adds position embeddings, as timm's `_pos_embed`:
/// with a class token, out[b, 0] = cls + pos[0] and out[b, 1 + n] = patchTokens[b, n] + pos[1 + n];
/// without one, out[b, n] = patchTokens[b, n] + pos[n].
///
/// - Parameters:
///   - out: [batch, tokens, width], tokens = patches (+ 1 with a class token)
///   - patchTokens: [batch, patches, width], the patch embedding's output
///   - classToken: [width], or nil for none
///   - posEmbed: [tokens, width]
public func tokenEmbedForward(
    _ out: UnsafeMutablePointer<Float>, _ patchTokens: UnsafePointer<Float>,
    classToken: UnsafePointer<Float>?, posEmbed: UnsafePointer<Float>,
    batch: Int, patches: Int, width: Int
) {
    let prefix = classToken == nil ? 0 : 1
    let tokens = patches + prefix
    for b in 0..<batch {
        let row = out + b * tokens * width
        if let classToken { residualForward(row, classToken, posEmbed, count: width) }
        residualForward(
            row + prefix * width, patchTokens + b * patches * width, posEmbed + prefix * width,
            count: patches * width)
    }
}

/// Backward of the token assembly: patch embeddings plus position embedding, after an optional class token.
///
/// Forward: `x[b, 0] = cls + pos[0]` (with a class token), `x[b, c + p] = patches[b, p] + pos[c + p]`, c = 1 or 0.
/// Backward (accumulating): `dpos[t] += Σ_b dx[b, t]`, `dcls += Σ_b dx[b, 0]`, `dpatches[b, p] += dx[b, c + p]`.
public func tokenEmbeddingBackward(
    dpatches: UnsafeMutablePointer<Float>, dpos: UnsafeMutablePointer<Float>, dcls: UnsafeMutablePointer<Float>?,
    dx: UnsafePointer<Float>, batch: Int, patches: Int, width: Int
) {
    let prefix = dcls == nil ? 0 : 1
    let tokens = patches + prefix
    for b in 0..<batch {
        let dxB = dx + b * tokens * width
        for t in 0..<tokens {
            let row = dxB + t * width
            let dp = dpos + t * width
            for i in 0..<width { dp[i] += row[i] }
        }
        if let dcls { for i in 0..<width { dcls[i] += dxB[i] } }
        let dst = dpatches + b * patches * width
        let src = dxB + prefix * width
        for i in 0..<(patches * width) { dst[i] += src[i] }
    }
}
