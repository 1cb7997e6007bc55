import Foundation
import LgregCore

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
    /// Version, licence, lineage and materialization annotations.
    public var annotations: [String: String]?
    /// What a derived artifact refers to (OCI 1.1): a Des-Net's learngene, so registries list it as a referrer.
    public var subject: Descriptor?

    public init(
        artifactType: String, config: Descriptor, layers: [Descriptor], annotations: [String: String],
        subject: Descriptor? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = OCIMediaType.imageManifest
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.annotations = annotations
        self.subject = subject
    }

    /// Canonical bytes: sorted keys, no escaped slashes.
    public func encoded() throws -> Data { try OCIJSON.encode(self) }
}
