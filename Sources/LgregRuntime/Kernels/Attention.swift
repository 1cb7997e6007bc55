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
public func attentionForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
    _ qkv: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, headDim: Int
) {
    let width = heads * headDim
    let scale = 1 / Float(headDim).squareRoot()
    for b in 0..<batch {
        let base = qkv + b * tokens * 3 * width
        for h in 0..<heads {
            let q = base + h * headDim
            let k = q + width
            let v = q + 2 * width
            let p = probs + (b * heads + h) * tokens * tokens
            sgemm(
                transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                a: q, lda: 3 * width, b: k, ldb: 3 * width, beta: 0, c: p, ldc: tokens)
            softmaxForward(p, p, rows: tokens, cols: tokens)
            sgemm(
                transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1,
                a: p, lda: tokens, b: v, ldb: 3 * width, beta: 0,
                c: out + b * tokens * width + h * headDim, ldc: width)
        }
    }
}

/// Backward of multi-head self-attention on timm's packed qkv.
///
/// Forward (`attentionForward`), per image b and head h, with `qkv` [B, T, 3d] holding q in columns
/// `h·hd ..< (h+1)·hd`, k at `d + h·hd`, v at `2d + h·hd`, and `s = hd^−½`:
/// `probs = softmax(s · q kᵀ)` (saved, [B, H, T, T]) and `out[:, h·hd ..< (h+1)·hd] = probs · v`.
/// Backward (accumulating into `dqkv`):
/// - `dv += probsᵀ · dout_h`, `dprobs = dout_h · vᵀ`
/// - `dpre = probs ⊙ (dprobs − rowsum(dprobs ⊙ probs))` (softmax backward)
/// - `dq += s · dpre · k`, `dk += s · dpreᵀ · q`
/// `scratch` holds T·T floats.
public func attentionBackward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    probs: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    batch: Int, tokens: Int, width: Int, heads: Int
) {
    let hd = width / heads
    let ld3 = 3 * width
    let scale = 1 / Float(hd).squareRoot()
    for b in 0..<batch {
        let qkvB = qkv + b * tokens * 3 * width
        let dqkvB = dqkv + b * tokens * 3 * width
        let doutB = dout + b * tokens * width
        for h in 0..<heads {
            let p = probs + (b * heads + h) * tokens * tokens
            let q = qkvB + h * hd
            let k = qkvB + width + h * hd
            let v = qkvB + 2 * width + h * hd
            let dq = dqkvB + h * hd
            let dk = dqkvB + width + h * hd
            let dv = dqkvB + 2 * width + h * hd
            let dO = doutB + h * hd
            // dv += probsᵀ · dout_h   [T, hd]
            sgemm(
                transA: true, transB: false, m: tokens, n: hd, k: tokens, alpha: 1, a: p, lda: tokens, b: dO,
                ldb: width, beta: 1, c: dv, ldc: ld3)
            // dprobs = dout_h · vᵀ    [T, T]
            sgemm(
                transA: false, transB: true, m: tokens, n: tokens, k: hd, alpha: 1, a: dO, lda: width, b: v, ldb: ld3,
                beta: 0, c: scratch, ldc: tokens)
            // softmax backward, in place: dpre = probs ⊙ (dprobs − Σ_j dprobs_j · probs_j), times the scale.
            for i in 0..<tokens {
                let row = scratch + i * tokens
                let pr = p + i * tokens
                var dot: Float = 0
                for j in 0..<tokens { dot += row[j] * pr[j] }
                for j in 0..<tokens { row[j] = pr[j] * (row[j] - dot) * scale }
            }
            // dq += dpre · k, dk += dpreᵀ · q
            sgemm(
                transA: false, transB: false, m: tokens, n: hd, k: tokens, alpha: 1, a: scratch, lda: tokens, b: k,
                ldb: ld3, beta: 1, c: dq, ldc: ld3)
            sgemm(
                transA: true, transB: false, m: tokens, n: hd, k: tokens, alpha: 1, a: scratch, lda: tokens, b: q,
                ldb: ld3, beta: 1, c: dk, ldc: ld3)
        }
    }
}
