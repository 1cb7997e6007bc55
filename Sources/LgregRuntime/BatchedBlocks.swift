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
    /// [rows, d]; fc1/GELU [rows, h]; `smallAttentionForward`'s scratch, or where it does not apply the
    /// attention probabilities [chunk, heads, T, T] of `attentionForward`.
    let ln, mean, rstd, qkv, attn, hidden, attention: UnsafeMutablePointer<Float>
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
        (ln, mean, rstd, qkv, attn, hidden, attention) = (
            slots[0], slots[1], slots[2], slots[3], slots[4], slots[5], slots[6]
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
            rows * a.width, rows, rows, rows * 3 * a.width, rows * a.width, rows * a.mlpWidth, attention,
        ]
    }

    deinit { storage.deallocate() }
}

/// One transformer block in place on `x` [batch, T, d], pre-norm, as `vitBlockForward` (inference, no drop-path):
/// mid = x + proj(attention(qkv(norm1(x)))), then x = mid + fc2(gelu(fc1(norm2(mid)))), `scratch.chunk` images
/// at a time; attention by `smallAttentionForward` where it applies (T ≤ 56 tokens, head width a multiple of 8),
/// else `attentionForward`; proj and fc2 accumulate straight onto `x` (`residualLinearForward`), fc1's bias and
/// GELU are one pass (`biasGELUForward`). Equals `vitBlockForward`'s output to float rounding (the GEMMs' order
/// of summation depends on their row counts, the residual adds come in another order, GELU's erf is another
/// approximation of the same accuracy); deterministic.
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
        residualLinearForward(xc, s.attn, w.projWeight, w.projBias, rows: rows, inDim: d, outDim: d)
        layerNormForward(
            s.ln, mean: s.mean, rstd: s.rstd, xc, weight: w.norm2Weight, bias: w.norm2Bias, rows: rows, cols: d,
            eps: eps)
        sgemm(
            transA: false, transB: true, m: rows, n: h, k: d, alpha: 1, a: s.ln, lda: d, b: w.fc1Weight, ldb: d,
            beta: 0, c: s.hidden, ldc: h)
        biasGELUForward(s.hidden, bias: w.fc1Bias, rows: rows, cols: h)
        residualLinearForward(xc, s.hidden, w.fc2Weight, w.fc2Bias, rows: rows, inDim: h, outDim: d)
        first += n
    }
}

/// A linear layer added onto the residual stream: x[r, o] += Σᵢ inp[r, i] · weight[o, i], then x[r, o] += bias[o]
/// (x += inp · Wᵀ + b): one GEMM accumulating onto `x` (beta = 1), no branch buffer and no separate residual add.
public func residualLinearForward(
    _ x: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>, rows: Int, inDim: Int, outDim: Int
) {
    sgemm(
        transA: false, transB: true, m: rows, n: outDim, k: inDim, alpha: 1, a: inp, lda: inDim, b: weight,
        ldb: inDim, beta: 1, c: x, ldc: outDim)
    for r in 0..<rows {
        let row = x + r * outDim
        for o in 0..<outDim { row[o] += bias[o] }
    }
}

/// Bias and exact GELU in one pass: x[r, c] = g(x[r, c] + bias[c]), g(z) = 0.5 · z · (1 + erf(z / √2)), with
/// erf by `fastErf` (no exponential: a rational function), so the pass costs about two thirds of `geluForward`'s.
public func biasGELUForward(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let row = x + r * cols
        for c in 0..<cols {
            let z = row[c] + bias[c]
            row[c] = 0.5 * z * (1 + fastErf(z * 0.707_106_781_186_547_5))
        }
    }
}

/// erf(x) as x · P(x²) / Q(x²) on x clamped to [−4, 4] (erf(4) = 1 − 1.5·10⁻⁸), with Eigen's float
/// coefficients (degree 13 over degree 8); |error| < 5·10⁻⁷ over the floats (checked against `Foundation.erf`
/// in the tests). Branch-free, so the loops that call it vectorize.
@inlinable @inline(__always)
public func fastErf(_ input: Float) -> Float {
    let x = input < -4 ? -4 : (input > 4 ? 4 : input)
    let x2 = x * x
    var p: Float = -2.726_142_258_013_06e-10
    p = p * x2 + 2.770_681_424_959_02e-08
    p = p * x2 - 2.101_024_020_825_08e-06
    p = p * x2 - 5.692_506_394_623_46e-05
    p = p * x2 - 7.349_906_303_268_55e-04
    p = p * x2 - 2.954_599_808_540_25e-03
    p = p * x2 - 1.609_603_332_624_15e-02
    var q: Float = -1.456_607_184_649_96e-05
    q = q * x2 - 2.133_740_552_789_05e-04
    q = q * x2 - 1.682_826_974_382_03e-03
    q = q * x2 - 7.373_329_167_204_68e-03
    q = q * x2 - 1.426_473_905_141_89e-02
    return x * p / q
}

/// Whether `smallAttentionForward` takes sequences of `tokens` with heads `headDim` wide.
public func smallAttentionApplies(tokens: Int, headDim: Int) -> Bool {
    tokens >= 1 && tokens <= 56 && headDim >= 8 && headDim % 8 == 0
}

/// Floats of scratch `smallAttentionForward` needs: Kᵀ [headDim, 56] and the scores [T, 56] (rows padded to
/// seven 8-wide vectors).
public func smallAttentionScratch(tokens: Int, headDim: Int) -> Int { (headDim + tokens) * 56 }

/// Multi-head self-attention for short sequences, by hand: for each image b and head h, with Q, K, V the head's
/// [T, hd] slices of the packed `qkv` ([batch, T, 3, heads, hd], as timm's fused qkv linear layer writes it),
/// S = Q · Kᵀ / √hd, P = softmax(S) row-wise, out[b, ·, h, ·] = P · V — `attentionForward`'s formula, without
/// keeping P.
///
/// Kᵀ is packed once per image and head into rows of 56 (zero beyond T); S is computed a row at a time as seven
/// 8-wide vectors, P · V two rows by four vectors at a time, every dot product summed in index order with fused
/// multiply-adds (over the head's channels for S, over the tokens for P · V); OpenBLAS sums in another order, so
/// the two differ in the last bits. `scratch` holds `smallAttentionScratch(tokens:headDim:)` floats. Needs
/// `smallAttentionApplies`.
public func smallAttentionForward(
    _ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    batch: Int, tokens t: Int, heads: Int, headDim hd: Int
) {
    precondition(smallAttentionApplies(tokens: t, headDim: hd), "smallAttentionForward: \(t) tokens, head width \(hd)")
    let width = heads * hd
    let ld = 3 * width
    let scale = 1 / Float(hd).squareRoot()
    let keys = scratch  // Kᵀ [hd, 56], the padding columns zero
    let scores = scratch + hd * 56  // S, then P: [t, 56]
    keys.update(repeating: 0, count: hd * 56)
    for b in 0..<batch {
        let image = qkv + b &* t &* ld
        for head in 0..<heads {
            let q = image + head &* hd
            let k = q + width
            let v = q + 2 &* width
            for c in 0..<hd {
                let row = keys + c &* 56
                for j in 0..<t { row[j] = k[j &* ld &+ c] }
            }
            for i in 0..<t {
                let row = scores + i &* 56
                attentionScoreRow(row, q + i &* ld, keys, headDim: hd, scale: scale)
                softmaxForward(row, row, rows: 1, cols: t)
            }
            let o = out + (b &* t &* width &+ head &* hd)
            var c0 = 0
            while c0 < hd {
                let wide = hd - c0 >= 32
                var i = 0
                while i < t {
                    attentionValueRows(
                        o + (i &* width &+ c0), scores + i &* 56, v + c0, pair: i + 1 < t, tokens: t, ld: ld,
                        ldo: width, wide: wide)
                    i += 2
                }
                c0 += wide ? 32 : 8
            }
        }
    }
}

private typealias F8 = SIMD8<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>, _ vector: Int) -> F8 {
    UnsafeRawPointer(p + 8 &* vector).loadUnaligned(as: F8.self)
}

@inline(__always) private func store(_ x: F8, _ p: UnsafeMutablePointer<Float>, _ vector: Int) {
    UnsafeMutableRawPointer(p + 8 &* vector).storeBytes(of: x, as: F8.self)
}

/// s[j] = scale · Σ_c q[c] · keys[c, j] (c in order) for j < 56: seven accumulators, one per 8-wide vector.
@inline(__always) private func attentionScoreRow(
    _ s: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float>, headDim: Int,
    scale: Float
) {
    var a0 = F8()
    var a1 = F8()
    var a2 = F8()
    var a3 = F8()
    var a4 = F8()
    var a5 = F8()
    var a6 = F8()
    var row = keys
    for c in 0..<headDim {
        let x = F8(repeating: q[c])
        a0 = a0.addingProduct(x, load(row, 0))
        a1 = a1.addingProduct(x, load(row, 1))
        a2 = a2.addingProduct(x, load(row, 2))
        a3 = a3.addingProduct(x, load(row, 3))
        a4 = a4.addingProduct(x, load(row, 4))
        a5 = a5.addingProduct(x, load(row, 5))
        a6 = a6.addingProduct(x, load(row, 6))
        row += 56
    }
    store(a0 * scale, s, 0)
    store(a1 * scale, s, 1)
    store(a2 * scale, s, 2)
    store(a3 * scale, s, 3)
    store(a4 * scale, s, 4)
    store(a5 * scale, s, 5)
    store(a6 * scale, s, 6)
}

/// out[r, c] = Σ_j p[r, j] · v[j, c] (j in order) for rows r = 0 and, with `pair`, 1 (row stride 56 in `p`,
/// `ldo` in `out`), over 32 channels (four 8-wide vectors) when `wide`, else 8: eight accumulators.
@inline(__always) private func attentionValueRows(
    _ out: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ v: UnsafePointer<Float>, pair: Bool,
    tokens: Int, ld: Int, ldo: Int, wide: Bool
) {
    let p1 = pair ? p + 56 : p
    var a0 = F8()
    var a1 = F8()
    var a2 = F8()
    var a3 = F8()
    var b0 = F8()
    var b1 = F8()
    var b2 = F8()
    var b3 = F8()
    var row = v
    if wide {
        for j in 0..<tokens {
            let x = F8(repeating: p[j])
            let y = F8(repeating: p1[j])
            let v0 = load(row, 0)
            let v1 = load(row, 1)
            let v2 = load(row, 2)
            let v3 = load(row, 3)
            a0 = a0.addingProduct(x, v0)
            a1 = a1.addingProduct(x, v1)
            a2 = a2.addingProduct(x, v2)
            a3 = a3.addingProduct(x, v3)
            b0 = b0.addingProduct(y, v0)
            b1 = b1.addingProduct(y, v1)
            b2 = b2.addingProduct(y, v2)
            b3 = b3.addingProduct(y, v3)
            row += ld
        }
    } else {
        for j in 0..<tokens {
            let v0 = load(row, 0)
            a0 = a0.addingProduct(F8(repeating: p[j]), v0)
            b0 = b0.addingProduct(F8(repeating: p1[j]), v0)
            row += ld
        }
    }
    store(a0, out, 0)
    if wide {
        store(a1, out, 1)
        store(a2, out, 2)
        store(a3, out, 3)
    }
    guard pair else { return }
    let second = out + ldo
    store(b0, second, 0)
    if wide {
        store(b1, second, 1)
        store(b2, second, 2)
        store(b3, second, 3)
    }
}
