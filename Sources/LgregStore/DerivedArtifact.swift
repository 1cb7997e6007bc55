import Foundation
import LgregArchive
import LgregCore
import SafeTensors

/// A derived artifact to record: a new config blob plus layer blobs already in the store (no copy), tagged,
/// with its lineage (`org.opencontainers.image.base.digest`) and, for a Des-Net, its materialization.
public struct DerivedArtifact: Sendable {
    /// Tag to give it, `name:version`.
    public var reference: String
    /// Its `artifactType` (e.g. `application/vnd.lgreg.desnet.v1`).
    public var artifactType: String
    /// Config blob bytes.
    public var config: Data
    /// Config blob media type.
    public var configMediaType: String
    /// Layer descriptors; every blob must already be stored with that size.
    public var layers: [Descriptor]
    /// Manifest it derives from (the learngene).
    public var base: Digest
    /// Des-Net depth (with `strategy`, recorded as a materialization).
    public var depth: Int?
    /// Initialization strategy.
    public var strategy: String?
    /// Layer order.
    public var order: String?
    /// Seed of random choices.
    public var seed: Int?
    /// More manifest annotations.
    public var annotations: [String: String]

    public init(
        reference: String, artifactType: String, config: Data, configMediaType: String, layers: [Descriptor],
        base: Digest,
        depth: Int? = nil, strategy: String? = nil, order: String? = nil, seed: Int? = nil,
        annotations: [String: String] = [:]
    ) {
        self.reference = reference
        self.artifactType = artifactType
        self.config = config
        self.configMediaType = configMediaType
        self.layers = layers
        self.base = base
        self.depth = depth
        self.strategy = strategy
        self.order = order
        self.seed = seed
        self.annotations = annotations
    }
}
