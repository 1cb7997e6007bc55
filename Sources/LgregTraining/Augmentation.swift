import LgregCore

/// Training-time augmentation of square single- or multi-channel images: a random crop of the image padded by
/// `padding` pixels on every side (torchvision's `RandomCrop(size, padding)`), then a horizontal flip with
/// probability ½ (`RandomHorizontalFlip`).
public struct Augmentation: Codable, Equatable, Sendable {
    /// Pixels of padding on each side (4 for 28×28).
    public var padding: Int
    /// Whether to flip horizontally half of the time.
    public var horizontalFlip: Bool

    public init(padding: Int = 4, horizontalFlip: Bool = true) {
        self.padding = padding
        self.horizontalFlip = horizontalFlip
    }

    /// Writes the augmented copy of `image` ([channels, size, size]) into `output`; padded pixels take `fill`
    /// (the value a black pixel has after normalization). Draws the crop offsets, then the flip, from `rng`.
    public func apply(
        _ image: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels: Int, size: Int,
        fill: Float, rng: inout SplitMix64
    ) {
        let offsetY = rng.uniform(below: 2 * padding + 1) - padding
        let offsetX = rng.uniform(below: 2 * padding + 1) - padding
        let flip = horizontalFlip && rng.nextUnitFloat() < 0.5
        for c in 0..<channels {
            let src = image + c * size * size
            let dst = output + c * size * size
            for y in 0..<size {
                let sy = y + offsetY
                for x in 0..<size {
                    // Crop first (out[y, x] = padded[y + dy, x + dx]), then the flip mirrors the crop.
                    let sx = (flip ? size - 1 - x : x) + offsetX
                    dst[y * size + x] = (sy >= 0 && sy < size && sx >= 0 && sx < size) ? src[sy * size + sx] : fill
                }
            }
        }
    }
}

/// Stochastic depth rates: virtual layer l of L drops its residual branches with probability
/// `rate · l / (L − 1)` (timm's `torch.linspace(0, rate, L)`).
public func dropPathRates(rate: Float, depth: Int) -> [Float] {
    guard depth > 1 else { return [0] }
    return (0..<depth).map { rate * Float($0) / Float(depth - 1) }
}
