import Foundation

/// What `lgreg push` did (`Schemas/remote-output.schema.json`, report `push`).
public struct PushReport: Codable, Sendable {
    /// Where it went: `host:port/repository:tag`.
    public var reference: String
    /// The manifest digest, as the registry confirmed it.
    public var digest: String
    /// Blobs sent (each checked by the registry against its digest).
    public var uploadedBlobs = 0
    /// Bytes sent.
    public var uploadedBytes = 0
    /// Blobs the registry had already.
    public var presentBlobs = 0
    /// Blobs mounted from another repository of the same registry instead of sent.
    public var mountedBlobs = 0
    /// Derived artifacts (Des-Nets) pushed as referrers of the learngene, by manifest digest.
    public var referrers: [String] = []
    /// Seconds the push took.
    public var seconds = 0.0
}

/// What `lgreg pull` did (`Schemas/remote-output.schema.json`, report `pull`).
public struct PullReport: Codable, Sendable {
    /// Where it came from: `host:port/repository@sha256:…`.
    public var source: String
    /// The manifest digest (checked against the digest asked for, if any, and the registry's).
    public var digest: String
    /// The store tag it was given.
    public var tag: String
    /// Blobs downloaded (each checked for size and SHA-256 before it entered the store).
    public var downloadedBlobs = 0
    /// Bytes downloaded (a resumed blob counts only what this run fetched).
    public var downloadedBytes = 0
    /// Blobs of which a partial download was resumed.
    public var resumedBlobs = 0
    /// Blobs the store had already.
    public var presentBlobs = 0
    /// Derived artifacts pulled with `--with-referrers`: their digests and store tags.
    public var referrers: [Referrer] = []
    /// Seconds the pull took.
    public var seconds = 0.0

    /// A derived artifact pulled beside the learngene.
    public struct Referrer: Codable, Sendable {
        public var digest: String
        public var tag: String
    }
}

/// Progress of a transfer, for a terminal: bytes done of the total, blobs done of the total.
public struct TransferProgress: Sendable {
    public var bytes: Int
    public var totalBytes: Int
    public var blobs: Int
    public var totalBlobs: Int
}
