import LgregArchitecture

// The prefix-tree evaluator's fast block (`PrefixTreeEvaluation.BlockKernels.batched`): the same transformer
// block as `vitBlockForward`, computed a few images at a time so that every intermediate stays in the core's L2
// cache, with attention by hand instead of two 49×49×32 GEMMs per image and head, where OpenBLAS spends more time
// packing and dispatching than multiplying.

/// Scratch for `batchedBlockForward`: one chunk of images' intermediates, sized for `architecture`.
public final class BatchedBlockScratch {
    /// Images per chunk: about 200 token rows, so that fc1's output ([rows, h], 200 KB at width 64) and the
    /// rest stay in a core's L2 cache.
    public let chunk: Int
    /// norm output [rows, d] with its mean and 1/√(var + eps) [rows]; qkv [rows, 3d]; attention output
    /// [rows, d]; fc1/GELU [rows, h]; a branch's output [rows, d]; `smallAttentionForward`'s scratch, or where
    /// it does not apply the attention probabilities [chunk, heads, T, T] of `attentionForward`.
    let ln, mean, rstd, qkv, attn, hidden, branch, attention: UnsafeMutablePointer<Float>
    /// Floats allocated.
    public let count: Int
    private let storage: UnsafeMutablePointer<Float>

    public init(architecture a: ViTArchitecture) {
        chunk = Self.chunk(a)
        let sizes = Self.sizes(a)
        count = sizes.reduce(0, +)
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
        var slots: [UnsafeMutablePointer<Float>] = []
        var next = storage
        for size in sizes {
            slots.append(next)
            next += size
        }
        (ln, mean, rstd, qkv, attn, hidden, branch, attention) = (
            slots[0], slots[1], slots[2], slots[3], slots[4], slots[5], slots[6], slots[7]
        )
    }

    /// The floats `init(architecture:)` allocates.
    public static func floats(_ a: ViTArchitecture) -> Int { sizes(a).reduce(0, +) }

    static func chunk(_ a: ViTArchitecture) -> Int { max(1, 200 / a.tokenCount) }

    /// The slots' sizes, in the order of the stored pointers.
    static func sizes(_ a: ViTArchitecture) -> [Int] {
        let rows = chunk(a) * a.tokenCount
        let attention =
            smallAttentionApplies(tokens: a.tokenCount, headDim: a.headWidth)
            ? smallAttentionScratch(tokens: a.tokenCount, headDim: a.headWidth)
            : chunk(a) * a.heads * a.tokenCount * a.tokenCount
        return [
            rows * a.width, rows, rows, rows * 3 * a.width, rows * a.width, rows * a.mlpWidth, rows * a.width,
            attention,
        ]
    }

    deinit { storage.deallocate() }
}

/// One transformer block in place on `x` [batch, T, d], pre-norm, as `vitBlockForward` (inference, no drop-path):
/// mid = x + proj(attention(qkv(norm1(x)))), then x = mid + fc2(gelu(fc1(norm2(mid)))), `scratch.chunk` images
/// at a time; attention by `smallAttentionForward` where it applies (T ≤ 56 tokens, head width a multiple of 8),
/// else `attentionForward`. Equals `vitBlockForward`'s output to float rounding (the GEMMs' order of summation
/// depends on their row counts); deterministic.
public func batchedBlockForward(
    _ x: UnsafeMutablePointer<Float>, weights w: BlockParameters, scratch s: BatchedBlockScratch, batch: Int,
    architecture arch: ViTArchitecture
) {
    let d = arch.width
    let t = arch.tokenCount
    let h = arch.mlpWidth
    let eps = Float(arch.layerNormEps)
    let byHand = smallAttentionApplies(tokens: t, headDim: arch.headWidth)
    var first = 0
    while first < batch {
        let n = min(s.chunk, batch - first)
        let rows = n * t
        let xc = x + first * t * d
        layerNormForward(
            s.ln, mean: s.mean, rstd: s.rstd, xc, weight: w.norm1Weight, bias: w.norm1Bias, rows: rows, cols: d,
            eps: eps)
        matmulForward(s.qkv, s.ln, w.qkvWeight, w.qkvBias, rows: rows, inDim: d, outDim: 3 * d)
        if byHand {
            smallAttentionForward(
                s.attn, s.qkv, scratch: s.attention, batch: n, tokens: t, heads: arch.heads, headDim: arch.headWidth)
        } else {
            attentionForward(
                s.attn, probs: s.attention, s.qkv, batch: n, tokens: t, heads: arch.heads, headDim: arch.headWidth)
        }
        matmulForward(s.branch, s.attn, w.projWeight, w.projBias, rows: rows, inDim: d, outDim: d)
        residualForward(xc, xc, s.branch, count: rows * d)
        layerNormForward(
            s.ln, mean: s.mean, rstd: s.rstd, xc, weight: w.norm2Weight, bias: w.norm2Bias, rows: rows, cols: d,
            eps: eps)
        matmulForward(s.hidden, s.ln, w.fc1Weight, w.fc1Bias, rows: rows, inDim: d, outDim: h)
        geluForward(s.hidden, s.hidden, count: rows * h)
        matmulForward(s.branch, s.hidden, w.fc2Weight, w.fc2Bias, rows: rows, inDim: h, outDim: d)
        residualForward(xc, xc, s.branch, count: rows * d)
        first += n
    }
}

/// Whether `smallAttentionForward` takes sequences of `tokens` with heads `headDim` wide.
public func smallAttentionApplies(tokens: Int, headDim: Int) -> Bool {
    tokens >= 1 && tokens <= 56 && headDim >= 8 && headDim % 8 == 0
}

/// Floats of scratch `smallAttentionForward` needs: Kᵀ [headDim, T'] and the scores [T, T'], T' = T rounded up
/// to a multiple of 8.
public func smallAttentionScratch(tokens: Int, headDim: Int) -> Int {
    let padded = (tokens + 7) / 8 * 8
    return (headDim + tokens) * padded
}

/// Multi-head self-attention for short sequences, by hand: for each image b and head h, with Q, K, V the head's
/// [T, hd] slices of the packed `qkv` ([batch, T, 3, heads, hd], as timm's fused qkv linear layer writes it),
/// S = Q · Kᵀ / √hd, P = softmax(S) row-wise (`softmaxForward`), out[b, ·, h, ·] = P · V — `attentionForward`'s
/// formula, without keeping P.
///
/// Each dot product is summed in index order with fused multiply-adds (over the head's channels for S, over the
/// tokens for P · V), eight lanes wide; OpenBLAS sums in another order, so the two differ in the last bits.
/// `scratch` holds `smallAttentionScratch(tokens:headDim:)` floats. Needs `smallAttentionApplies`.
public func smallAttentionForward(
    _ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    batch: Int, tokens t: Int, heads: Int, headDim hd: Int
) {
    precondition(smallAttentionApplies(tokens: t, headDim: hd), "smallAttentionForward: \(t) tokens, head width \(hd)")
    let width = heads * hd
    let ld = 3 * width
    let scale = 1 / Float(hd).squareRoot()
    let padded = (t + 7) / 8 * 8
    let keys = scratch  // Kᵀ [hd, padded], the padding columns zero
    let scores = scratch + hd * padded  // S, then P: [t, padded]
    keys.update(repeating: 0, count: hd * padded)
    for b in 0..<batch {
        let image = qkv + b * t * ld
        for head in 0..<heads {
            let q = image + head * hd
            let k = q + width
            let v = q + 2 * width
            for j in 0..<t {
                let kj = k + j * ld
                for c in 0..<hd { keys[c * padded + j] = kj[c] }
            }
            attentionScores(scores, q, keys, rows: t, ld: ld, headDim: hd, padded: padded, scale: scale)
            for i in 0..<t { softmaxForward(scores + i * padded, scores + i * padded, rows: 1, cols: t) }
            attentionValues(
                out + b * t * width + head * hd, scores, v, rows: t, tokens: t, ld: ld, ldo: width, headDim: hd,
                padded: padded)
        }
    }
}

private typealias F8 = SIMD8<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>, _ vector: Int) -> F8 {
    UnsafeRawPointer(p + 8 * vector).loadUnaligned(as: F8.self)
}

@inline(__always) private func store(_ x: F8, _ p: UnsafeMutablePointer<Float>, _ vector: Int) {
    UnsafeMutableRawPointer(p + 8 * vector).storeBytes(of: x, as: F8.self)
}

/// S[i, j] = scale · Σ_c q[i, c] · keys[c, j] (c in order), for j < padded ≤ 56: two rows at a time, seven
/// eight-wide vectors over j (14 accumulators; columns past `padded` are neither read nor written).
@inline(__always) private func attentionScores(
    _ s: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, rows: Int, ld: Int,
    headDim: Int, padded: Int, scale: Float
) {
    let vectors = padded / 8
    var i = 0
    while i < rows {
        let q0 = q + i * ld
        let q1 = i + 1 < rows ? q0 + ld : q0
        var a0 = F8()
        var a1 = F8()
        var a2 = F8()
        var a3 = F8()
        var a4 = F8()
        var a5 = F8()
        var a6 = F8()
        var b0 = F8()
        var b1 = F8()
        var b2 = F8()
        var b3 = F8()
        var b4 = F8()
        var b5 = F8()
        var b6 = F8()
        for c in 0..<headDim {
            let x = F8(repeating: q0[c])
            let y = F8(repeating: q1[c])
            let row = keys + c * padded
            let k0 = load(row, 0)
            a0 = a0.addingProduct(x, k0)
            b0 = b0.addingProduct(y, k0)
            if vectors > 1 {
                let k1 = load(row, 1)
                a1 = a1.addingProduct(x, k1)
                b1 = b1.addingProduct(y, k1)
            }
            if vectors > 2 {
                let k2 = load(row, 2)
                a2 = a2.addingProduct(x, k2)
                b2 = b2.addingProduct(y, k2)
            }
            if vectors > 3 {
                let k3 = load(row, 3)
                a3 = a3.addingProduct(x, k3)
                b3 = b3.addingProduct(y, k3)
            }
            if vectors > 4 {
                let k4 = load(row, 4)
                a4 = a4.addingProduct(x, k4)
                b4 = b4.addingProduct(y, k4)
            }
            if vectors > 5 {
                let k5 = load(row, 5)
                a5 = a5.addingProduct(x, k5)
                b5 = b5.addingProduct(y, k5)
            }
            if vectors > 6 {
                let k6 = load(row, 6)
                a6 = a6.addingProduct(x, k6)
                b6 = b6.addingProduct(y, k6)
            }
        }
        storeRow(s + i * padded, (a0, a1, a2, a3, a4, a5, a6), vectors: vectors, scale: scale)
        if i + 1 < rows { storeRow(s + (i + 1) * padded, (b0, b1, b2, b3, b4, b5, b6), vectors: vectors, scale: scale) }
        i += 2
    }
}

/// out[8v ..< 8v + 8] = scale · row.v for the first `vectors` vectors.
@inline(__always) private func storeRow(
    _ out: UnsafeMutablePointer<Float>, _ row: (F8, F8, F8, F8, F8, F8, F8), vectors: Int, scale: Float
) {
    store(row.0 * scale, out, 0)
    if vectors > 1 { store(row.1 * scale, out, 1) }
    if vectors > 2 { store(row.2 * scale, out, 2) }
    if vectors > 3 { store(row.3 * scale, out, 3) }
    if vectors > 4 { store(row.4 * scale, out, 4) }
    if vectors > 5 { store(row.5 * scale, out, 5) }
    if vectors > 6 { store(row.6 * scale, out, 6) }
}

/// out[i, c] = Σ_j p[i, j] · v[j, c] (j in order), three rows at a time, 32 channels (four eight-wide vectors)
/// at a time, then eight.
@inline(__always) private func attentionValues(
    _ out: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ v: UnsafePointer<Float>, rows: Int,
    tokens: Int, ld: Int, ldo: Int, headDim: Int, padded: Int
) {
    var c0 = 0
    while c0 < headDim {
        let wide = headDim - c0 >= 32
        var i = 0
        while i < rows {
            let p0 = p + i * padded
            let p1 = p + min(i + 1, rows - 1) * padded
            let p2 = p + min(i + 2, rows - 1) * padded
            var a = (F8(), F8(), F8(), F8())
            var b = (F8(), F8(), F8(), F8())
            var e = (F8(), F8(), F8(), F8())
            if wide {
                for j in 0..<tokens {
                    let row = v + j * ld + c0
                    let v0 = load(row, 0)
                    let v1 = load(row, 1)
                    let v2 = load(row, 2)
                    let v3 = load(row, 3)
                    let x = F8(repeating: p0[j])
                    let y = F8(repeating: p1[j])
                    let z = F8(repeating: p2[j])
                    a.0 = a.0.addingProduct(x, v0)
                    a.1 = a.1.addingProduct(x, v1)
                    a.2 = a.2.addingProduct(x, v2)
                    a.3 = a.3.addingProduct(x, v3)
                    b.0 = b.0.addingProduct(y, v0)
                    b.1 = b.1.addingProduct(y, v1)
                    b.2 = b.2.addingProduct(y, v2)
                    b.3 = b.3.addingProduct(y, v3)
                    e.0 = e.0.addingProduct(z, v0)
                    e.1 = e.1.addingProduct(z, v1)
                    e.2 = e.2.addingProduct(z, v2)
                    e.3 = e.3.addingProduct(z, v3)
                }
            } else {
                for j in 0..<tokens {
                    let v0 = load(v + j * ld + c0, 0)
                    a.0 = a.0.addingProduct(F8(repeating: p0[j]), v0)
                    b.0 = b.0.addingProduct(F8(repeating: p1[j]), v0)
                    e.0 = e.0.addingProduct(F8(repeating: p2[j]), v0)
                }
            }
            @inline(__always) func put(_ row: Int, _ acc: (F8, F8, F8, F8)) {
                guard row < rows else { return }
                let o = out + row * ldo + c0
                store(acc.0, o, 0)
                if wide {
                    store(acc.1, o, 1)
                    store(acc.2, o, 2)
                    store(acc.3, o, 3)
                }
            }
            put(i, a)
            put(i + 1, b)
            put(i + 2, e)
            i += 3
        }
        c0 += wide ? 32 : 8
    }
}
