import Foundation
import LgregCore

/// An artifact with blobs of its own to record (a fine-tuned Des-Net, one trained from scratch, a verification
/// report): new layer blobs, a config blob, and the learngene it derives from when it has one.
public struct TrainedArtifact: Sendable {
    /// One file stored as a layer blob: a safetensors weight file unless told otherwise.
    public struct Weights: Sendable {
        /// The file's name, recorded as the layer's `org.opencontainers.image.title` (`model.safetensors`).
        public var title: String
        /// Its bytes.
        public var bytes: Data
        /// The layer's media type.
        public var mediaType: String
        /// The layer's `org.lgreg.role`.
        public var role: String

        public init(title: String, bytes: Data, mediaType: String = OCIMediaType.safetensors, role: String = "weights")
        {
            self.title = title
            self.bytes = bytes
            self.mediaType = mediaType
            self.role = role
        }
    }

    /// Tag to give it, `name:version`.
    public var reference: String
    /// Its `artifactType`.
    public var artifactType: String
    /// Config blob bytes and media type.
    public var config: Data
    public var configMediaType: String
    /// The layer files, each written as a new blob (an identical blob already stored is kept once).
    public var weights: [Weights]
    /// The learngene manifest it derives from (`org.opencontainers.image.base.digest`); nil for a model trained
    /// from scratch, which derives from nothing stored.
    public var base: Digest?
    /// More manifest annotations.
    public var annotations: [String: String]

    public init(
        reference: String, artifactType: String, config: Data, configMediaType: String, weights: [Weights],
        base: Digest?,
        annotations: [String: String] = [:]
    ) {
        self.reference = reference
        self.artifactType = artifactType
        self.config = config
        self.configMediaType = configMediaType
        self.weights = weights
        self.base = base
        self.annotations = annotations
    }
}

extension LearngeneStore {
    /// Records an artifact with blobs of its own: each layer file is streamed into `.lgreg/tmp`, fsynced and
    /// renamed into `blobs/`, then the config and manifest blobs, one fsync of `blobs/sha256`, and last the tag in
    /// `index.json` (the commit point), so a crash at any step leaves nothing visible. The tag may replace a
    /// derived artifact's, never a learngene's; the base, when given, must be stored. Both are checked before the
    /// first byte is written.
    /// - Throws: `StoreError.tagExists` when the tag names a learngene, `.missingBlob` for a base that is not
    ///   stored, `.io` when the disk is full or read-only.
    @discardableResult
    public func writeTrained(_ artifact: TrainedArtifact) throws -> Digest {
        // The manifest names content only (when it was tagged lives beside the tag in index.json).
        try writeManifest(
            reference: artifact.reference, artifactType: artifact.artifactType, config: artifact.config,
            configMediaType: artifact.configMediaType, base: artifact.base,
            annotations: artifact.annotations, createdFromBase: false
        ) {
            try artifact.weights.enumerated().map { index, weights in
                try layout.writeBlob(
                    weights.bytes, mediaType: weights.mediaType,
                    annotations: [
                        OCIAnnotation.title: weights.title, OCIAnnotation.role: weights.role,
                        OCIAnnotation.layerIndex: String(index),
                    ], syncDirectory: false)
            }
        }
    }
}
