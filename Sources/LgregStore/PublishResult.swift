import Foundation
import LgregArchive
import LgregCore
import SafeTensors

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
