import Foundation
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

extension LearngeneStore {
    /// Writes a derived manifest: a new config blob plus layer blobs already in the store (none copied), with
    /// `org.opencontainers.image.base.digest` = `artifact.base` (and `subject`, OCI 1.1's name for the same link) and its tag recorded in the manifest (so a lost
    /// `index.json` can be rebuilt), tags it (replacing a derived artifact's tag, never a learngene's) and
    /// records the materialization in the index when depth and strategy are given. Its `created` is the
    /// learngene's (none for a learngene published without one), never the time of writing. Everything is checked
    /// before the first byte is written.
    /// - Throws: `StoreError.missingBlob` when a layer blob is absent or of another size, `.tagExists` when
    ///   the tag names a learngene.
    @discardableResult
    public func writeDerived(_ artifact: DerivedArtifact) throws -> Digest {
        var notes = artifact.annotations
        if let depth = artifact.depth { notes[OCIAnnotation.materializationDepth] = String(depth) }
        if let strategy = artifact.strategy { notes[OCIAnnotation.materializationStrategy] = strategy }
        if let order = artifact.order { notes[OCIAnnotation.materializationOrder] = order }
        if let seed = artifact.seed { notes[OCIAnnotation.materializationSeed] = String(seed) }
        // The manifest names content only, so the same Des-Net of the same learngene gets one digest anywhere;
        // when it was written lives beside its tag in `index.json`.
        return try writeManifest(
            reference: artifact.reference, artifactType: artifact.artifactType,
            config: artifact.config, configMediaType: artifact.configMediaType,
            base: artifact.base, annotations: notes, createdFromBase: true
        ) {
            for layer in artifact.layers where !layout.hasBlob(layer.digest, size: layer.size) {
                throw StoreError.missingBlob(layer.digest)
            }
            for layer in artifact.layers { utimes(layout.blob(layer.digest).path, nil) }
            return artifact.layers
        }
    }

    /// The one write path of `writeDerived` and `writeTrained`: under the shared write lock, checks the tag and
    /// the base, then stores the layers (`storeLayers` checks blobs already stored or writes new ones), the config
    /// blob and the manifest (its base as `org.opencontainers.image.base.digest` and as OCI 1.1's `subject`, its
    /// tag as `org.opencontainers.image.ref.name`), makes every rename durable with one fsync of `blobs/sha256`,
    /// and last tags it in `index.json` (the commit point), so a crash at any step leaves nothing visible.
    /// - Parameter createdFromBase: take the base's `org.opencontainers.image.created` (never the time of writing).
    func writeManifest(
        reference: String, artifactType: String, config: Data, configMediaType: String, base: Digest?,
        annotations: [String: String], createdFromBase: Bool,
        storeLayers: () throws -> [Descriptor]
    ) throws -> Digest {
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        try checkDerivedTag(reference)
        let base = try base.map { digest in
            let bytes = try layout.readBlob(digest)
            return (
                digest: digest, size: bytes.count,
                image: try OCIJSON.decode(ImageManifest.self, from: bytes, file: layout.blob(digest).path)
            )
        }
        let layers = try storeLayers()
        let config = try layout.writeBlob(config, mediaType: configMediaType, syncDirectory: false)
        var notes = annotations
        if let base { notes[OCIAnnotation.baseDigest] = base.digest.description }
        notes[OCIAnnotation.refName] = reference
        if createdFromBase { notes[OCIAnnotation.created] = base?.image.annotations?[OCIAnnotation.created] }
        let subject = base.map {
            Descriptor(
                mediaType: OCIMediaType.imageManifest, digest: $0.digest, size: $0.size,
                artifactType: $0.image.artifactType)
        }
        let image = ImageManifest(
            artifactType: artifactType, config: config, layers: layers, annotations: notes,
            subject: subject)
        let descriptor = try layout.writeBlob(
            try image.encoded(), mediaType: OCIMediaType.imageManifest,
            syncDirectory: false)
        StoreLayout.syncDirectory(layout.blobsDirectory)
        try tagDerived(descriptor, image: image, reference: reference)
        return descriptor.digest
    }
}
