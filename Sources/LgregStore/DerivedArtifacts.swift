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
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        try checkDerivedTag(artifact.reference)
        let base = try imageManifest(artifact.base)
        for layer in artifact.layers where !layout.hasBlob(layer.digest, size: layer.size) { throw StoreError.missingBlob(layer.digest) }
        for layer in artifact.layers { utimes(layout.blob(layer.digest).path, nil) }
        let config = try layout.writeBlob(artifact.config, mediaType: artifact.configMediaType)
        var notes = artifact.annotations
        notes[OCIAnnotation.baseDigest] = artifact.base.description
        notes[OCIAnnotation.refName] = artifact.reference
        // The manifest names content only, so the same Des-Net of the same learngene gets one digest anywhere;
        // when it was written lives beside its tag in `index.json`.
        notes[OCIAnnotation.created] = base.annotations?[OCIAnnotation.created]
        if let depth = artifact.depth { notes[OCIAnnotation.materializationDepth] = String(depth) }
        if let strategy = artifact.strategy { notes[OCIAnnotation.materializationStrategy] = strategy }
        if let order = artifact.order { notes[OCIAnnotation.materializationOrder] = order }
        if let seed = artifact.seed { notes[OCIAnnotation.materializationSeed] = String(seed) }
        let subject = Descriptor(mediaType: OCIMediaType.imageManifest, digest: artifact.base, size: try layout.readBlob(artifact.base).count,
                                 artifactType: base.artifactType)
        let image = ImageManifest(artifactType: artifact.artifactType, config: config, layers: artifact.layers, annotations: notes, subject: subject)
        let descriptor = try layout.writeBlob(try image.encoded(), mediaType: OCIMediaType.imageManifest)
        try tagDerived(descriptor, image: image, reference: artifact.reference)
        return descriptor.digest
    }
}
