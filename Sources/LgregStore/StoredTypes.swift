import Foundation
import LgregArchive
import LgregCore
import SafeTensors

/// A blob a learngene (or derived) manifest lists: its descriptor and the file holding it.
public struct StoredBlob: Sendable {
    /// The manifest's descriptor (digest, size, role and index annotations).
    public var descriptor: Descriptor
    /// The blob's file under `blobs/sha256/`.
    public var url: URL

    /// Digest of the blob.
    public var digest: Digest { descriptor.digest }
    /// The `org.lgreg.role` annotation.
    public var role: String? { descriptor.annotations?[OCIAnnotation.role] }
    /// The `org.lgreg.layer.index` annotation.
    public var index: Int? { descriptor.annotations?[OCIAnnotation.layerIndex].flatMap { Int($0) } }

    /// Maps and validates the blob as a safetensors file (no copy).
    public func open() throws -> SafeTensorsFile { try SafeTensorsFile(path: url.path) }
}

/// A learngene version in the store: its OCI manifest, its `manifest.json` (the config blob) and its blobs.
///
/// ```swift
/// let stored = try store.resolve("aux-b:0.1.0")
/// let stage2 = try stored.layers[2].open()          // SafeTensorsFile, block-relative names
/// let qkv = try stage2.floats("attn.qkv.weight")
/// ```
public struct StoredLearngene: Sendable {
    /// Digest of the OCI image manifest: the learngene's identity.
    public var digest: Digest
    /// The OCI image manifest.
    public var imageManifest: ImageManifest
    /// The learngene's manifest (decoded config blob).
    public var manifest: LearngeneManifest
    /// Tags pointing at this manifest.
    public var tags: [String]
    /// `shared.safetensors`.
    public var shared: StoredBlob
    /// `layers/{m}.safetensors`, m = 0…M-1.
    public var layers: [StoredBlob]

    /// Bytes of the manifest's config and layer blobs.
    public var totalBytes: Int { imageManifest.config.size + imageManifest.layers.reduce(0) { $0 + $1.size } }
}

/// What `publish` did.
public struct PublishResult: Codable, Sendable {
    /// Digest of the learngene's OCI manifest.
    public var digest: Digest
    /// The tag it is reachable by.
    public var reference: String
    /// Layer blobs written.
    public var newBlobs: Int
    /// Layer blobs that were already stored (deduplicated).
    public var reusedBlobs: Int
    /// Bytes of layer data in the archive.
    public var bytes: Int
    /// True when the tag already pointed at identical content and nothing changed.
    public var alreadyPublished: Bool
}

/// One row of `lgreg list`.
public struct LearngeneSummary: Codable, Sendable {
    /// The tag, `name:version`.
    public var reference: String
    /// Manifest digest.
    public var digest: Digest
    /// Name part of the tag.
    public var name: String
    /// Version part of the tag.
    public var version: String
    /// sws, tleg or plain.
    public var kind: String
    /// Learngene layers (the shared file not counted).
    public var layers: Int
    /// Parameters stored.
    public var storedParameters: Int
    /// Bytes of the manifest, config and layer blobs.
    public var totalBytes: Int
    /// RFC 3339 publication time.
    public var created: String?
}

/// A Des-Net materialized from a learngene, as recorded in the store.
public struct Materialization: Codable, Equatable, Sendable {
    /// Digest of the derived (Des-Net) manifest.
    public var desNetDigest: Digest
    /// Digest of the learngene manifest it was built from.
    public var learngeneDigest: Digest
    /// Des-Net depth.
    public var depth: Int
    /// Initialization strategy.
    public var strategy: String
    /// Layer order.
    public var order: String?
    /// Seed of a random assignment.
    public var seed: Int?
    /// RFC 3339 time of writing.
    public var created: String?

    public init(desNetDigest: Digest, learngeneDigest: Digest, depth: Int, strategy: String, order: String?, seed: Int?, created: String?) {
        self.desNetDigest = desNetDigest
        self.learngeneDigest = learngeneDigest
        self.depth = depth
        self.strategy = strategy
        self.order = order
        self.seed = seed
        self.created = created
    }
}

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

    public init(reference: String, artifactType: String, config: Data, configMediaType: String, layers: [Descriptor], base: Digest,
                depth: Int? = nil, strategy: String? = nil, order: String? = nil, seed: Int? = nil, annotations: [String: String] = [:]) {
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

/// What `gc` found and freed.
public struct GCReport: Codable, Sendable {
    /// Unreachable blobs deleted (or that would be, in a dry run).
    public var blobs: [Digest]
    /// Their bytes.
    public var bytes: Int
    /// Unreachable blobs spared because they are younger than the grace period.
    public var sparedYoung: Int
    /// Stale temp files removed.
    public var tempFiles: Int
    /// True for `--dry-run`.
    public var dryRun: Bool
}

/// What `fsck` found.
public struct FsckReport: Codable, Sendable {
    /// One problem found.
    public struct Problem: Codable, Sendable {
        /// The blob or file at fault.
        public var subject: String
        /// What is wrong.
        public var reason: String
        /// Where it was moved, if quarantined.
        public var quarantinedTo: String?
    }
    /// Blobs re-hashed.
    public var blobsChecked: Int
    /// Bytes re-hashed.
    public var bytesChecked: Int
    /// Manifests (tags) checked.
    public var manifestsChecked: Int
    /// Damage found; empty means the store is clean.
    public var problems: [Problem]
    /// Whether the index database was rebuilt.
    public var rebuiltIndex: Bool

    /// True when nothing is damaged.
    public var clean: Bool { problems.isEmpty }
}
