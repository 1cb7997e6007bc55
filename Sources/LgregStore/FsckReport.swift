import Foundation
import LgregArchive
import LgregCore
import SafeTensors

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
    /// A manifest in `blobs/` that no tag reaches (as `git fsck` reports a dangling commit): what a lost
    /// `index.json` leaves, or what `rm` untagged. `fsck --rebuild-index` re-tags them when `index.json` is lost.
    public struct Dangling: Codable, Sendable {
        /// The manifest's digest.
        public var digest: Digest
        /// Its `artifactType`.
        public var artifactType: String
        /// The tag it would get back: a learngene's own `name:version`, a derived artifact's recorded tag.
        public var reference: String?
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
    /// Untagged learngene and derived manifests found in `blobs/`.
    public var dangling: [Dangling]
    /// Tags `--rebuild-index` wrote into a new `index.json` (the old one missing or unreadable).
    public var restoredTags: [String]

    /// True when nothing is damaged.
    public var clean: Bool { problems.isEmpty }
}
