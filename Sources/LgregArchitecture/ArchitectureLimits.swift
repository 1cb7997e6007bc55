/// The largest values lgreg accepts for every dimension, depth and count it reads from a file or the command
/// line, stated in `Schemas/architecture.schema.json` and `Schemas/learngene-manifest.schema.json`.
///
/// They are generous (a ViT-22B fits: width 6,144, 48 layers) but chosen so that every size, parameter count
/// and FLOP count lgreg derives from them fits a 64-bit integer: a block of the largest architecture at the
/// largest depth does 1024 · (65,537 tokens · 65,536² · (4 + 2·8) + 2 · 65,537² · 65,536 + …) ≈ 6.4·10¹⁸
/// multiply-accumulates, below 2⁶³ ≈ 9.2·10¹⁸. Values past them are refused where they are first decoded or
/// built (architecture and schedule validation, depth ranges, layer maps), so nothing downstream can trap
/// on overflow or try to allocate terabytes.
public enum ArchitectureLimits {
    /// Layers of a model, stages of a schedule, layers of a stage, rows of a depth range.
    public static let maxDepth = 1024
    /// Side of the input image in pixels.
    public static let maxImageSize = 8192
    /// Patches of the image: (imageSize / patchSize)² (a 256 × 256 grid).
    public static let maxPatches = 65_536
    /// Input channels.
    public static let maxInChannels = 1024
    /// Embedding width d.
    public static let maxWidth = 65_536
    /// MLP ratio.
    public static let maxMlpRatio = 8
    /// Classes of the head.
    public static let maxClasses = 1_000_000

    /// Checks a depth (of a model, a Des-Net, a declared result) against 1...maxDepth.
    /// - Throws: `ArchitectureError.invalidField` naming `field`.
    public static func checkDepth(_ depth: Int, field: String = "depth") throws {
        guard (1...maxDepth).contains(depth) else {
            throw ArchitectureError.invalidField(
                field: field, reason: "is \(depth); a depth lies between 1 and \(maxDepth)")
        }
    }
}
