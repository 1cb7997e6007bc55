import Foundation
import LgregCore
import LgregVocabulary

/// Media types, artifact types and annotation keys lgreg writes into its OCI image layout.
public enum OCIMediaType {
    /// OCI image manifest.
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index (`index.json`).
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    /// `artifactType` of a learngene version's manifest.
    public static let learngene = EntryKind.learngene.artifactType
    /// Config blob of a learngene: its `manifest.json` bytes (`Schemas/learngene-manifest.schema.json`).
    public static let learngeneConfig = "application/vnd.lgreg.learngene.config.v1+json"
    /// OCI 1.1's empty descriptor: the config of an artifact that needs none, the 2-byte blob `{}`.
    public static let empty = "application/vnd.oci.empty.v1+json"
    /// A layer blob: one safetensors file.
    public static let safetensors = "application/vnd.lgreg.safetensors.v1"
}
