import LgregArchitecture
import LgregArchive
import SafeTensors

/// A learngene described by its archive manifest: one read from a `.lgz` archive (whole, or each file on first
/// use), or one in the store (its blobs mapped in place; `LgregZoo` builds that one). Every file has passed the
/// archive checks (files, digests, tensor names and shapes) before its bytes are used.
public struct ManifestSource: LearngeneSource, Sendable {
    /// The learngene's manifest.
    public let manifest: LearngeneManifest
    public let learngeneDigest: String?
    private let openShared: @Sendable () throws -> SafeTensorsFile
    private let openLayer: @Sendable (Int) throws -> SafeTensorsFile

    /// A learngene whose files `openShared` and `openLayer` open, recorded in lineage as `learngeneDigest`.
    public init(
        manifest: LearngeneManifest, learngeneDigest: String?,
        openShared: @escaping @Sendable () throws -> SafeTensorsFile,
        openLayer: @escaping @Sendable (Int) throws -> SafeTensorsFile
    ) {
        self.manifest = manifest
        self.learngeneDigest = learngeneDigest
        self.openShared = openShared
        self.openLayer = openLayer
    }

    /// A learngene read from an archive (it has no store digest).
    public init(_ archive: ExtractedLearngene) {
        self.init(
            manifest: archive.manifest, learngeneDigest: nil, openShared: { archive.shared.tensors },
            openLayer: { archive.layers[$0].tensors })
    }

    /// A learngene read from an archive on demand (it has no store digest): each file is streamed out of the
    /// archive when its bytes are first used, so a plan reads no tensor byte.
    public init(_ archive: StreamedLearngene) {
        self.init(
            manifest: archive.manifest, learngeneDigest: nil, openShared: { archive.shared },
            openLayer: { archive.layer($0) })
    }

    public var architecture: ViTArchitecture { manifest.architecture }
    public var kind: LearngeneKind { manifest.kind }
    public var layerCount: Int { manifest.layers.count }
    public var schedule: StageSchedule? { manifest.kind == .sws ? manifest.schedule : nil }
    public func sharedTensors() throws -> SafeTensorsFile { try openShared() }
    public func layerTensors(_ index: Int) throws -> SafeTensorsFile { try openLayer(index) }
}
