import Foundation
import LgregCore
#if canImport(Glibc)
import Glibc
#endif

/// An artifact with weights of its own to record (a fine-tuned Des-Net, or one trained from scratch): new
/// safetensors blobs, a config blob, and the learngene it derives from when it has one.
public struct TrainedArtifact: Sendable {
    /// One weight file, stored as a layer blob.
    public struct Weights: Sendable {
        /// The file's name, recorded as the layer's `org.opencontainers.image.title` (`model.safetensors`).
        public var title: String
        /// Its safetensors bytes.
        public var bytes: Data

        public init(title: String, bytes: Data) {
            self.title = title
            self.bytes = bytes
        }
    }

    /// Tag to give it, `name:version`.
    public var reference: String
    /// Its `artifactType`.
    public var artifactType: String
    /// Config blob bytes and media type.
    public var config: Data
    public var configMediaType: String
    /// The weights, each written as a new blob (an identical blob already stored is kept once).
    public var weights: [Weights]
    /// The learngene manifest it derives from (`org.opencontainers.image.base.digest`); nil for a model trained
    /// from scratch, which derives from nothing stored.
    public var base: Digest?
    /// More manifest annotations.
    public var annotations: [String: String]

    public init(reference: String, artifactType: String, config: Data, configMediaType: String, weights: [Weights], base: Digest?,
                annotations: [String: String] = [:]) {
        self.reference = reference
        self.artifactType = artifactType
        self.config = config
        self.configMediaType = configMediaType
        self.weights = weights
        self.base = base
        self.annotations = annotations
    }
}

/// A tagged manifest that is not a learngene, as the index lists it.
public struct DerivedSummary: Codable, Equatable, Sendable {
    /// Its tag.
    public var reference: String
    public var digest: Digest
    public var artifactType: String
    /// The learngene it derives from, if any.
    public var base: Digest?
    /// RFC 3339 time of writing.
    public var created: String?
}

/// A derived artifact read back from the store: its manifest, config bytes (verified) and blobs.
public struct StoredDerivedArtifact: Sendable {
    public var digest: Digest
    public var imageManifest: ImageManifest
    /// Tags pointing at it.
    public var tags: [String]
    /// The config blob's bytes, their digest checked.
    public var config: Data
    /// The learngene it derives from, if any.
    public var base: Digest?
    /// Its layer blobs; opening one checks its digest.
    public var layers: [StoredBlob]
}

extension LearngeneStore {
    /// Records an artifact with weights of its own: each weight file is streamed into `.lgreg/tmp`, fsynced and
    /// renamed into `blobs/`, then the config and manifest blobs, one fsync of `blobs/sha256`, and last the tag in
    /// `index.json` (the commit point), so a crash at any step leaves nothing visible. The tag may replace a
    /// derived artifact's, never a learngene's; the base, when given, must be stored. Both are checked before the
    /// first byte is written.
    /// - Throws: `StoreError.tagExists` when the tag names a learngene, `.notFound`-like errors for a missing
    ///   base, `.io` when the disk is full or read-only.
    @discardableResult
    public func writeTrained(_ artifact: TrainedArtifact) throws -> Digest {
        try Self.checkTag(artifact.reference)
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        if let base = artifact.base { _ = try imageManifest(base) }
        if let existing = try readIndex().0.tagged(artifact.reference), existing.artifactType == OCIMediaType.learngene {
            throw StoreError.tagExists(reference: artifact.reference, existing: existing.digest)
        }
        let layers = try artifact.weights.enumerated().map { index, weights in
            try layout.writeBlob(weights.bytes, mediaType: OCIMediaType.safetensors,
                                 annotations: [OCIAnnotation.title: weights.title, OCIAnnotation.role: "weights",
                                               OCIAnnotation.layerIndex: String(index)], syncDirectory: false)
        }
        let config = try layout.writeBlob(artifact.config, mediaType: artifact.configMediaType, syncDirectory: false)
        var notes = artifact.annotations
        if let base = artifact.base { notes[OCIAnnotation.baseDigest] = base.description }
        notes[OCIAnnotation.refName] = artifact.reference
        notes[OCIAnnotation.created] = Self.now()
        let image = ImageManifest(artifactType: artifact.artifactType, config: config, layers: layers, annotations: notes)
        let descriptor = try layout.writeBlob(try image.encoded(), mediaType: OCIMediaType.imageManifest, syncDirectory: false)
        // One fsync of blobs/sha256 makes every rename above durable before index.json names them.
        StoreLayout.syncDirectory(layout.blobsDirectory)
        _ = try tagManifest(descriptor, artifactType: artifact.artifactType, identity: Self.identity(of: image), reference: artifact.reference,
                            replacing: true, sameContent: { _ in false })
        syncAfterCommit()
        return descriptor.digest
    }

    /// The derived artifact `reference` names (a tag or a digest prefix), its config blob read and checked.
    /// - Throws: `StoreError.notFound` when the reference names a learngene or an artifact of another type than
    ///   `artifactType` (when given).
    public func resolveDerived(_ reference: String, artifactType: String? = nil) throws -> StoredDerivedArtifact {
        let digest = try resolveDigest(reference)
        let image = try imageManifest(digest)
        guard image.artifactType != OCIMediaType.learngene, artifactType == nil || image.artifactType == artifactType else {
            throw StoreError.notFound(reference: "\(reference) (\(digest.short) is a \(image.artifactType ?? "manifest"), not a \(artifactType ?? "derived artifact"))")
        }
        let config = try layout.readBlob(image.config.digest)
        let blobs = image.layers.map { layer in
            StoredBlob(descriptor: layer, url: layout.blob(layer.digest), verify: { [self] in try verifyBlob(layer.digest) })
        }
        let tags = try readIndex().0.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
        return StoredDerivedArtifact(digest: digest, imageManifest: image, tags: tags.sorted(), config: config,
                                     base: image.annotations?[OCIAnnotation.baseDigest].flatMap { Digest($0) }, layers: blobs)
    }

    /// Every tagged artifact that is not a learngene, one row per tag, by tag: all of them, those of one
    /// `artifactType`, or those derived from the learngene manifest `base` (materialized and tuned Des-Nets).
    /// This is what removing a learngene leaves behind.
    public func derivedArtifacts(artifactType: String? = nil, of base: Digest? = nil) throws -> [DerivedSummary] {
        let (tags, manifests) = try readCache { db in
            (try TagRecord.order(TagRecord.Columns.ref).fetchAll(db), try ManifestRecord.fetchAll(db))
        }
        let byDigest = Dictionary(manifests.map { ($0.digest, $0) }) { first, _ in first }
        return tags.compactMap { tag in
            guard let manifest = byDigest[tag.digest], manifest.artifactType != OCIMediaType.learngene,
                  artifactType == nil || manifest.artifactType == artifactType,
                  base == nil || manifest.baseDigest == base?.description else { return nil }
            return DerivedSummary(reference: tag.ref, digest: tag.digest, artifactType: manifest.artifactType,
                                  base: manifest.baseDigest.flatMap { Digest($0) }, created: manifest.created)
        }
    }
}
