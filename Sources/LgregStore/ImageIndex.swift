import Foundation
import LgregCore

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
