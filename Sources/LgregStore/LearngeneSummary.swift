import Foundation
import LgregArchive
import LgregCore
import SafeTensors

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
    /// sws, tleg or plain; "unknown" when the config blob cannot be read.
    public var kind: String
    /// Learngene layers (the shared file not counted).
    public var layers: Int
    /// Parameters stored.
    public var storedParameters: Int
    /// Bytes of the manifest, config and layer blobs.
    public var totalBytes: Int
    /// RFC 3339 publication time.
    public var created: String?
    /// What is wrong with the entry (a manifest, config or layer blob missing or unreadable); nil when its
    /// blobs are all there. `list` checks presence and size, not digests (`show` and `fsck` re-hash).
    public var damage: String?
    /// Whether this is the current learngene (`lgreg use`), which commands take when none is named.
    public var current = false
}
