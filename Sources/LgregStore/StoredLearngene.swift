import Foundation
import LgregArchive
import LgregCore
import SafeTensors

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
