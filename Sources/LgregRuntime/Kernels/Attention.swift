/// Multi-head self-attention core, as timm's `Attention` after its qkv projection and before `proj`:
/// for each batch b and head h, with Q, K, V the head's [tokens, headDim] slices of `qkv`,
/// probs[b, h] = softmax(Q · Kᵀ / √headDim) (row-wise) and out[b, ·, h, ·] = probs[b, h] · V.
///
/// - Parameters:
///   - out: [batch, tokens, heads · headDim] (heads concatenated per token, ready for `proj`)
///   - probs: [batch, heads, tokens, tokens], receives the attention probabilities (kept for a backward pass)
///   - qkv: [batch, tokens, 3, heads, headDim], packed as timm's fused `qkv` linear layer writes it
/// Two strided GEMMs per batch and head read Q, K and V in place (row stride 3·width) and write the head's
/// columns of `out` in place (row stride width); nothing is copied. With several threads and at least as many
/// (image, head) pairs, the pairs are split over the threads, each running its GEMMs on single-threaded OpenBLAS
/// (one 197×197×64 product is too small to split well), its softmax included; each pair is computed the same
/// whichever thread runs it.
public func attentionForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
    _ qkv: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, headDim: Int
) {
    let width = heads * headDim
    let scale = 1 / Float(headDim).squareRoot()
    /// probs[b, h] = softmax(s · Q Kᵀ), out[b, ·, h, ·] = probs[b, h] · V for pair = b · heads + h.
    func pair(_ pair: Int, worker: Int) {
        let (b, h) = pair.quotientAndRemainder(dividingBy: heads)
        let q = qkv + b * tokens * 3 * width + h * headDim
        let k = q + width
        let v = q + 2 * width
        let p = probs + pair * tokens * tokens
        RuntimeProfile.measure(.attentionScores, worker: worker) {
            sgemm(
                transA: false, transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                a: q, lda: 3 * width, b: k, ldb: 3 * width, beta: 0, c: p, ldc: tokens)
        }
        RuntimeProfile.measure(.softmax, worker: worker) { softmaxForward(p, p, rows: tokens, cols: tokens) }
        RuntimeProfile.measure(.attentionValues, worker: worker) {
            sgemm(
                transA: false, transB: false, m: tokens, n: headDim, k: tokens, alpha: 1,
                a: p, lda: tokens, b: v, ldb: 3 * width, beta: 0,
                c: out + b * tokens * width + h * headDim, ldc: width)
        }
    }
    forEachAttentionPair(batch * heads) { worker, range in for i in range { pair(i, worker: worker) } }
}

/// Chunks of (image, head) pairs per thread: several, so that load elsewhere on the machine does not leave one
/// thread idle while the other finishes its half.
let attentionChunksPerThread = 4

/// Runs `body` over chunks of `pairs` (image, head) pairs: split over the threads with single-threaded OpenBLAS
/// when there are at least as many pairs as threads, else in order on multi-threaded OpenBLAS.
func forEachAttentionPair(_ pairs: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
    guard KernelThreads.splitsAttention, BLASThreads.count > 1, pairs >= BLASThreads.count else {
        body(0, 0..<pairs)
        return
    }
    KernelThreads.withSingleThreadedBLAS { threads in
        KernelThreads.forEachChunk(
            pairs, minimumPerThread: 1, threads: threads, chunksPerThread: attentionChunksPerThread, body)
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
    attentionBackward(
        dqkv: dqkv, dout: dout, qkv: qkv, probs: probs, scratch: scratch, batch: batch, tokens: tokens, width: width,
        heads: heads, accumulate: true)
}

/// Backward of multi-head self-attention as above; with `accumulate: false` it writes `dqkv` (each element is
/// written once, by its own head's first product: no zeroing needed, the same values as accumulating onto zeros).
/// With several threads the (image, head) pairs are split over them as in `attentionForward`; each chunk of pairs
/// past the first gets its own T·T scratch, allocated here.
public func attentionBackward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    probs: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    batch: Int, tokens: Int, width: Int, heads: Int, accumulate: Bool
) {
    let hd = width / heads
    let ld3 = 3 * width
    let scale = 1 / Float(hd).squareRoot()
    let beta: Float = accumulate ? 1 : 0
    let chunks = BLASThreads.count * attentionChunksPerThread
    let extra = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(chunks - 1, 1) * tokens * tokens)
    defer { extra.deallocate() }
    /// The gradients of pair = b · heads + h, with `scratch` holding T·T floats.
    func pair(_ pair: Int, scratch: UnsafeMutablePointer<Float>) {
        let (b, h) = pair.quotientAndRemainder(dividingBy: heads)
        let qkvB = qkv + b * tokens * 3 * width
        let dqkvB = dqkv + b * tokens * 3 * width
        let p = probs + pair * tokens * tokens
        let q = qkvB + h * hd
        let k = qkvB + width + h * hd
        let v = qkvB + 2 * width + h * hd
        let dq = dqkvB + h * hd
        let dk = dqkvB + width + h * hd
        let dv = dqkvB + 2 * width + h * hd
        let dO = dout + b * tokens * width + h * hd
        // dv += probsᵀ · dout_h   [T, hd]
        sgemm(
            transA: true, transB: false, m: tokens, n: hd, k: tokens, alpha: 1, a: p, lda: tokens, b: dO,
            ldb: width, beta: beta, c: dv, ldc: ld3)
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
            ldb: ld3, beta: beta, c: dq, ldc: ld3)
        sgemm(
            transA: true, transB: false, m: tokens, n: hd, k: tokens, alpha: 1, a: scratch, lda: tokens, b: q,
            ldb: ld3, beta: beta, c: dk, ldc: ld3)
    }
    forEachAttentionPair(batch * heads) { worker, range in
        let own = worker == 0 ? scratch : extra + (worker - 1) * tokens * tokens
        for i in range { pair(i, scratch: own) }
    }
}
