/// Parameter and FLOP counts with the conventions of the SWS paper (and fvcore, which it used).
///
/// Parameters: L·(12d² + 13d) + (C·p²·d + d) + T·d [+ d for a class token] + 2d + d·K + K for MLP ratio 4
/// and a qkv bias; the general per-block formula is in `blockParameters`.
/// FLOPs are fvcore's multiply-accumulates over T tokens: a linear layer or convolution costs
/// tokens·in·out, the two attention matmuls cost 2·T²·d per block, a LayerNorm 5 per element it
/// normalizes, and GELU, softmax, the pooling mean and residual adds are not counted.
extension ViTArchitecture {
    /// Parameters of one transformer block:
    /// norm1 2d + qkv 3d²(+3d) + proj d²+d + norm2 2d + fc1 d·h+h + fc2 h·d+d, with h = mlpRatio·d.
    public var blockParameters: Int {
        let d = width
        let h = mlpWidth
        return 2 * d + (3 * d * d + (qkvBias ? 3 * d : 0)) + (d * d + d) + 2 * d + (d * h + h) + (h * d + d)
    }

    /// Parameters outside the blocks: patch embedding (C·p²·d + d), position embedding (T·d), class token
    /// (d, when present), final LayerNorm (2d) and head (d·K + K).
    public var sharedParameters: Int {
        patchEmbeddingParameters + tokenCount * width + (classToken ? width : 0) + 2 * width + headParameters
    }

    /// Patch embedding: a p×p convolution with stride p from C channels to d, with bias.
    public var patchEmbeddingParameters: Int { patchValues * width + width }
    /// Linear head from d to K classes, with bias.
    public var headParameters: Int { width * classes + classes }

    /// Parameters of a full model with `depth` blocks.
    public func parameterCount(depth: Int) -> Int { depth * blockParameters + sharedParameters }

    /// Multiply-accumulates of one block over T tokens (fvcore convention, see the type's comment).
    public var blockFLOPs: Int {
        let t = tokenCount
        let d = width
        let h = mlpWidth
        let norms = 2 * 5 * t * d
        let linears = t * d * 3 * d + t * d * d + t * d * h + t * h * d
        let attention = 2 * t * t * d
        return norms + linears + attention
    }

    /// Multiply-accumulates outside the blocks: patch embedding (N·C·p²·d), final LayerNorm (5·T·d on
    /// every token, or 5·d after the mean with `avg` pooling) and head (d·K).
    public var sharedFLOPs: Int {
        let finalNorm = pooling == .avg ? 5 * width : 5 * tokenCount * width
        return patchCount * patchValues * width + finalNorm + width * classes
    }

    /// Multiply-accumulates of a full model with `depth` blocks on one image.
    public func flops(depth: Int) -> Int { depth * blockFLOPs + sharedFLOPs }
}

/// The rounding the paper applies when it prints a count in millions or billions.
public enum PaperRounding {
    /// One decimal, as in Table 1 and the 37.0 M learngene: 44,038,888 → 44.0.
    public static func oneDecimal(_ value: Int, unit: Double) -> Double {
        rounded(Double(value) / unit, decimals: 1)
    }

    /// Parameters in millions as every table of the paper prints them: two decimals, then one. Table 2
    /// (100-class heads) needs the double rounding (43,346,788 → 43.35 → 43.4, where a single rounding gives
    /// 43.3) and it leaves every cell of Tables 1, 3, 4 and 5 as a single rounding prints it.
    public static func millions(_ value: Int) -> Double { twoThenOneDecimal(value, unit: 1e6) }

    /// Table 2 (100-class heads) rounds to two decimals first and then to one: 43,346,788 → 43.35 → 43.4,
    /// where a single rounding would print 43.3.
    public static func twoThenOneDecimal(_ value: Int, unit: Double) -> Double {
        rounded(rounded(Double(value) / unit, decimals: 2), decimals: 1)
    }

    /// The paper's totals add the printed (rounded) figures: ten Des-Bs print as 759.3 M though their exact
    /// sum, 759,358,480, would round to 759.4 M.
    public static func sumOfPrinted(_ values: [Int], unit: Double) -> Double {
        rounded(values.map { oneDecimal($0, unit: unit) }.reduce(0, +), decimals: 1)
    }

    /// Rounds half away from zero (for the positive figures the paper prints) to `decimals` places.
    public static func rounded(_ x: Double, decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        // The small nudge keeps values such as 43.35 (stored as 43.34999…) rounding the way they print.
        return (x * scale + 0.5 + 1e-9).rounded(.down) / scale
    }
}

/// Parsing of depth lists such as `6-15`, `12` or `6,9,12`.
public enum DepthRange {
    /// The depths named by `text`, ascending and without repeats, each in 1...`ArchitectureLimits.maxDepth`
    /// (so a range names at most that many rows).
    /// - Throws: `ArchitectureError.invalidDepthRange` for anything else, before any range is expanded.
    public static func parse(_ text: String) throws -> [Int] {
        var depths: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                let low = Int(bounds[0]), let high = Int(bounds.last!), low >= 1, low <= high,
                high <= ArchitectureLimits.maxDepth
            else { throw ArchitectureError.invalidDepthRange(text) }
            depths.formUnion(low...high)
        }
        return depths.sorted()
    }
}
