import Foundation
import LgregCore

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

    public init(
        mediaType: String, digest: Digest, size: Int, artifactType: String? = nil, annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
    }
}
