/// Multi-head self-attention core, as timm's `Attention` after its qkv projection and before `proj`:
/// for each batch b and head h, with Q, K, V the head's [tokens, headDim] slices of `qkv`,
/// probs[b, h] = softmax(Q · Kᵀ / √headDim) (row-wise) and out[b, ·, h, ·] = probs[b, h] · V.
///
/// - Parameters:
///   - out: [batch, tokens, heads · headDim] (heads concatenated per token, ready for `proj`)
///   - probs: [batch, heads, tokens, tokens], receives the attention probabilities (kept for a backward pass)
///   - qkv: [batch, tokens, 3, heads, headDim], packed as timm's fused `qkv` linear layer writes it
/// Two strided GEMMs per batch and head read Q, K and V in place (row stride 3·width) and write the head's
/// columns of `out` in place (row stride width); nothing is copied.
public func attentionForward(_ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                             _ qkv: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, headDim: Int) {
    let width = heads * headDim
    let scale = 1 / Float(headDim).squareRoot()
    for b in 0..<batch {
        let base = qkv + b * tokens * 3 * width
        for h in 0..<heads {
            let q = base + h * headDim
            let k = q + width
            let v = q + 2 * width
            let p = probs + (b * heads + h) * tokens * tokens
            sgemm(transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                  a: q, lda: 3 * width, b: k, ldb: 3 * width, beta: 0, c: p, ldc: tokens)
            softmaxForward(p, p, rows: tokens, cols: tokens)
            sgemm(transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1,
                  a: p, lda: tokens, b: v, ldb: 3 * width, beta: 0,
                  c: out + b * tokens * width + h * headDim, ldc: width)
        }
    }
}
