import LgregArchitecture
import LgregArchive
import LgregStore
import SafeTensors

/// A learngene described by its archive manifest: one in the store (its blobs mapped in place) or one read
/// from a `.lgz` archive. Both have passed the archive checks (files, digests, tensor names and shapes).
public struct ManifestSource: LearngeneSource, Sendable {
    /// The learngene's manifest.
    public let manifest: LearngeneManifest
    public let learngeneDigest: String?
    private let openShared: @Sendable () throws -> SafeTensorsFile
    private let openLayer: @Sendable (Int) throws -> SafeTensorsFile

    /// A stored learngene; its lineage digest is its OCI manifest's.
    public init(_ stored: StoredLearngene) {
        manifest = stored.manifest
        learngeneDigest = stored.digest.description
        openShared = { try stored.shared.open() }
        openLayer = { try stored.layers[$0].open() }
    }

    /// A learngene read from an archive (it has no store digest).
    public init(_ archive: ExtractedLearngene) {
        manifest = archive.manifest
        learngeneDigest = nil
        openShared = { archive.shared.tensors }
        openLayer = { archive.layers[$0].tensors }
    }

    public var architecture: ViTArchitecture { manifest.architecture }
    public var kind: LearngeneKind { manifest.kind }
    public var layerCount: Int { manifest.layers.count }
    public var schedule: StageSchedule? { manifest.kind == .sws ? manifest.schedule : nil }
    public func sharedTensors() throws -> SafeTensorsFile { try openShared() }
    public func layerTensors(_ index: Int) throws -> SafeTensorsFile { try openLayer(index) }
}
