import Foundation
import LgregCore

/// Media types, artifact types and annotation keys lgreg writes into its OCI image layout.
public enum OCIMediaType {
    /// OCI image manifest.
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index (`index.json`).
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    /// `artifactType` of a learngene version's manifest.
    public static let learngene = "application/vnd.lgreg.learngene.v1"
    /// Config blob of a learngene: its `manifest.json` bytes (`Schemas/learngene-manifest.schema.json`).
    public static let learngeneConfig = "application/vnd.lgreg.learngene.config.v1+json"
    /// A layer blob: one safetensors file.
    public static let safetensors = "application/vnd.lgreg.safetensors.v1"
}

/// Annotation keys.
public enum OCIAnnotation {
    /// Tag of a manifest in `index.json` (`name:version`).
    public static let refName = "org.opencontainers.image.ref.name"
    /// Manifest this one is derived from.
    public static let baseDigest = "org.opencontainers.image.base.digest"
    /// RFC 3339 creation time.
    public static let created = "org.opencontainers.image.created"
    /// Version.
    public static let version = "org.opencontainers.image.version"
    /// SPDX licence.
    public static let licenses = "org.opencontainers.image.licenses"
    /// Human title; on a layer, its path in the archive.
    public static let title = "org.opencontainers.image.title"
    /// Description.
    public static let description = "org.opencontainers.image.description"
    /// Learngene name.
    public static let name = "org.lgreg.name"
    /// Learngene kind (sws, tleg, plain).
    public static let kind = "org.lgreg.kind"
    /// Role of a layer blob: shared, stage, block, theta-a, theta-b (or what a derived manifest says).
    public static let role = "org.lgreg.role"
    /// Index of a layer blob within its role.
    public static let layerIndex = "org.lgreg.layer.index"
    /// Depth of a materialized Des-Net (on its derived manifest).
    public static let materializationDepth = "org.lgreg.materialization.depth"
    /// Initialization strategy of a materialized Des-Net.
    public static let materializationStrategy = "org.lgreg.materialization.strategy"
    /// Layer order of a materialized Des-Net.
    public static let materializationOrder = "org.lgreg.materialization.order"
    /// Seed of a materialized Des-Net's random choices.
    public static let materializationSeed = "org.lgreg.materialization.seed"
}

/// An OCI content descriptor: media type, digest, size and annotations of a blob.
public struct Descriptor: Codable, Equatable, Sendable {
    /// Media type of the blob.
    public var mediaType: String
    /// Its SHA-256.
    public var digest: Digest
    /// Its size in bytes.
    public var size: Int
    /// For a manifest listed in `index.json`, the manifest's own `artifactType`.
    public var artifactType: String?
    /// Annotations (`org.opencontainers.image.ref.name`, `org.lgreg.role`, …).
    public var annotations: [String: String]?

    public init(mediaType: String, digest: Digest, size: Int, artifactType: String? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
    }
}

/// An OCI image manifest (schemaVersion 2), as lgreg writes it for learngenes and derived artifacts.
public struct ImageManifest: Codable, Equatable, Sendable {
    /// Always 2.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.manifest.v1+json`.
    public var mediaType: String
    /// What the artifact is (`application/vnd.lgreg.learngene.v1`, a Des-Net's type, …).
    public var artifactType: String?
    /// The config blob.
    public var config: Descriptor
    /// The layer blobs, in order.
    public var layers: [Descriptor]
    /// Creation time, version, licence, lineage and materialization annotations.
    public var annotations: [String: String]?

    public init(artifactType: String, config: Descriptor, layers: [Descriptor], annotations: [String: String]) {
        self.schemaVersion = 2
        self.mediaType = OCIMediaType.imageManifest
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Canonical bytes: sorted keys, no escaped slashes.
    public func encoded() throws -> Data { try OCIJSON.encode(self) }
}

/// The OCI image index at the root of the layout: one descriptor per tag.
public struct ImageIndex: Codable, Equatable, Sendable {
    /// Always 2.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.index.v1+json`.
    public var mediaType: String?
    /// One descriptor per tag.
    public var manifests: [Descriptor]

    public init(manifests: [Descriptor] = []) {
        self.schemaVersion = 2
        self.mediaType = OCIMediaType.imageIndex
        self.manifests = manifests
    }

    /// The descriptor tagged `reference`.
    public func tagged(_ reference: String) -> Descriptor? {
        manifests.first { $0.annotations?[OCIAnnotation.refName] == reference }
    }
}

/// lgreg's JSON encoding for OCI documents: sorted keys, so the same document has the same digest.
enum OCIJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do { return try StrictJSONDecoder().decode(type, from: data) } catch {
            throw StoreError.corruptLayout(file: file, reason: "does not decode as \(type): \(error)")
        }
    }
}
