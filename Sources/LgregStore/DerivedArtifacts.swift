import Foundation
import LgregCore
#if canImport(Glibc)
import Glibc
#endif

extension LearngeneStore {
    /// Writes a derived manifest: a new config blob plus layer blobs already in the store (none copied), with
    /// `org.opencontainers.image.base.digest` = `artifact.base` and its tag recorded in the manifest (so a lost
    /// `index.json` can be rebuilt), tags it (replacing a derived artifact's tag, never a learngene's) and
    /// records the materialization in the index when depth and strategy are given. Everything is checked
    /// before the first byte is written.
    /// - Throws: `StoreError.missingBlob` when a layer blob is absent or of another size, `.tagExists` when
    ///   the tag names a learngene.
    @discardableResult
    public func writeDerived(_ artifact: DerivedArtifact) throws -> Digest {
        try Self.checkTag(artifact.reference)
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        _ = try imageManifest(artifact.base)
        if let existing = try readIndex().0.tagged(artifact.reference), existing.artifactType == OCIMediaType.learngene {
            throw StoreError.tagExists(reference: artifact.reference, existing: existing.digest)
        }
        for layer in artifact.layers {
            var status = stat()
            guard stat(layout.blob(layer.digest).path, &status) == 0, Int(status.st_size) == layer.size else {
                throw StoreError.missingBlob(layer.digest)
            }
        }
        for layer in artifact.layers { utimes(layout.blob(layer.digest).path, nil) }
        let config = try layout.writeBlob(artifact.config, mediaType: artifact.configMediaType)
        var notes = artifact.annotations
        notes[OCIAnnotation.baseDigest] = artifact.base.description
        notes[OCIAnnotation.refName] = artifact.reference
        notes[OCIAnnotation.created] = Self.now()
        if let depth = artifact.depth { notes[OCIAnnotation.materializationDepth] = String(depth) }
        if let strategy = artifact.strategy { notes[OCIAnnotation.materializationStrategy] = strategy }
        if let order = artifact.order { notes[OCIAnnotation.materializationOrder] = order }
        if let seed = artifact.seed { notes[OCIAnnotation.materializationSeed] = String(seed) }
        let image = ImageManifest(artifactType: artifact.artifactType, config: config, layers: artifact.layers, annotations: notes)
        let descriptor = try layout.writeBlob(try image.encoded(), mediaType: OCIMediaType.imageManifest)
        _ = try tagManifest(descriptor, artifactType: artifact.artifactType, identity: Self.identity(of: image), reference: artifact.reference,
                            replacing: true, sameContent: { _ in false })
        syncAfterCommit()
        return descriptor.digest
    }
}
