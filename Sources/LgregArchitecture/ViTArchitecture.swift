import LgregCore

/// The shape of a vision transformer, independent of its depth.
///
/// A learngene's layers and every Des-Net materialized from it share one `ViTArchitecture`; only the
/// number of blocks differs, so depth is passed separately wherever it matters (accounting, runtime).
///
/// ```swift
/// let base = try ViTArchitecture.preset("deit-base")
/// base.parameterCount(depth: 12)   // 86,567,656 with a class token and 1000 classes
/// ```
public struct ViTArchitecture: Codable, Equatable, Hashable, Sendable {
    /// Side of the square input image in pixels (224 for DeiT, 28 for Fashion-MNIST).
    public var imageSize: Int
    /// Side of a square patch in pixels.
    public var patchSize: Int
    /// Input channels (3 for RGB, 1 for Fashion-MNIST).
    public var inChannels: Int
    /// Embedding width d.
    public var width: Int
    /// Attention heads; `width` must be a multiple of it.
    public var heads: Int
    /// Hidden width of the MLP as a multiple of `width` (4 in DeiT).
    public var mlpRatio: Int
    /// Classes of the linear head.
    public var classes: Int
    /// Whether a learned class token is prepended (and gets a position-embedding slot).
    public var classToken: Bool
    /// How the token sequence becomes one vector before the head.
    public var pooling: Pooling
    /// LayerNorm epsilon (1e-6 in timm's ViT).
    public var layerNormEps: Double
    /// Whether the fused qkv projection has a bias.
    public var qkvBias: Bool

    public init(
        imageSize: Int, patchSize: Int, inChannels: Int, width: Int, heads: Int, mlpRatio: Int = 4,
        classes: Int, classToken: Bool, pooling: Pooling, layerNormEps: Double = 1e-6, qkvBias: Bool = true
    ) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.width = width
        self.heads = heads
        self.mlpRatio = mlpRatio
        self.classes = classes
        self.classToken = classToken
        self.pooling = pooling
        self.layerNormEps = layerNormEps
        self.qkvBias = qkvBias
    }

    /// Patches along one side: imageSize / patchSize.
    public var gridSize: Int { imageSize / patchSize }
    /// Patch tokens N = (imageSize / patchSize)².
    public var patchCount: Int { gridSize * gridSize }
    /// Tokens the blocks see: N patches, plus one for a class token.
    public var tokenCount: Int { patchCount + (classToken ? 1 : 0) }
    /// Width of one attention head.
    public var headWidth: Int { width / heads }
    /// Hidden width of the MLP.
    public var mlpWidth: Int { width * mlpRatio }
    /// Values in one flattened patch: C·p².
    public var patchValues: Int { inChannels * patchSize * patchSize }

    /// Checks that the description is internally consistent and within `ArchitectureLimits`, every bound
    /// before anything is computed from the values.
    /// - Throws: `ArchitectureError.invalidField` naming the first field that is wrong.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ why: @autoclosure () -> String) throws {
            if !ok { throw ArchitectureError.invalidField(field: field, reason: why()) }
        }
        func bounded(_ value: Int, _ field: String, _ limit: Int) throws {
            try require((1...limit).contains(value), field, "is \(value); it must lie between 1 and \(limit)")
        }
        typealias L = ArchitectureLimits
        try bounded(imageSize, "imageSize", L.maxImageSize)
        try bounded(patchSize, "patchSize", imageSize)
        try require(imageSize % patchSize == 0, "patchSize", "\(patchSize) does not divide imageSize \(imageSize)")
        try require(
            patchCount <= L.maxPatches, "patchSize",
            "\(patchSize) cuts a \(imageSize)-pixel image into \(patchCount) patches; at most \(L.maxPatches) are allowed"
        )
        try bounded(inChannels, "inChannels", L.maxInChannels)
        try bounded(width, "width", L.maxWidth)
        try bounded(heads, "heads", width)
        try require(width % heads == 0, "heads", "\(heads) does not divide width \(width)")
        try bounded(mlpRatio, "mlpRatio", L.maxMlpRatio)
        try bounded(classes, "classes", L.maxClasses)
        try require(layerNormEps > 0 && layerNormEps.isFinite, "layerNormEps", "must be positive, got \(layerNormEps)")
        try require(pooling != .cls || classToken, "pooling", "'cls' pooling needs classToken = true")
    }
}

/// How a ViT turns its token sequence into the vector the head classifies.
public enum Pooling: String, Codable, CaseIterable, Sendable {
    /// Final LayerNorm on every token, then the mean over tokens (the SWS Aux-Net: norm → pool → head).
    case avgNormFirst = "avg-norm-first"
    /// Mean over tokens, then LayerNorm (timm's `global_pool='avg'` with `fc_norm`: pool → norm → head).
    case avg
    /// Final LayerNorm on every token, then the class token alone.
    case cls
}

/// Errors in an architecture or stage-schedule description.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    /// A field holds a value that is out of range or inconsistent with another field.
    case invalidField(field: String, reason: String)
    /// No preset has this name.
    case unknownPreset(name: String, known: [String])
    /// A stage schedule is malformed.
    case invalidSchedule(reason: String)
    /// A depth range such as `6-15` could not be parsed.
    case invalidDepthRange(String)

    public var description: String {
        switch self {
        case .invalidField(let field, let reason): return "architecture field '\(field)': \(reason)"
        case .unknownPreset(let name, let known):
            return "unknown preset '\(name)'; known presets: \(known.joined(separator: ", "))"
        case .invalidSchedule(let reason): return "stage schedule: \(reason)"
        case .invalidDepthRange(let text):
            return
                "depth range '\(Quoted.name(text))': expected N, N-M or a comma list such as 6,8,12, each between 1 and \(ArchitectureLimits.maxDepth)"
        }
    }
}
