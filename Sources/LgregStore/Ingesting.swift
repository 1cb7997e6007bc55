import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// A shared hold on the store's writer lock for a long transfer (`lgreg pull`): `gc` and `fsck` wait for it to
/// end. Released when the value is dropped.
public final class StoreWriterLease: @unchecked Sendable {
    let lock: FileLock
    init(_ lock: FileLock) { self.lock = lock }
}

/// What a blob, a manifest or a tag from another store (a registry) goes through on its way in: blobs arrive as
/// files the caller checked while they streamed, manifests are checked against the blobs they name, and the tag
/// is written last, through the same `index.json` commit as a publish.
extension LearngeneStore {
    /// Holds the writer lock shared until the lease is dropped (removing staging whose process is gone).
    public func leaseForWriting() throws -> StoreWriterLease { StoreWriterLease(try lockForWriting(exclusive: false)) }

    /// `.lgreg/downloads`: partial downloads, kept across runs so an interrupted transfer resumes where it stopped
    /// (never swept at start-up, unlike `.lgreg/tmp`).
    public var downloadsDirectory: URL { layout.privateDirectory.appendingPathComponent("downloads") }

    /// The partial-download file of blob `digest`, its folder created.
    public func partialDownload(of digest: Digest) throws -> URL {
        do { try FileManager.default.createDirectory(at: downloadsDirectory, withIntermediateDirectories: true) } catch
        {
            throw StoreError.io(
                path: downloadsDirectory.path, reason: "cannot create: \((error as NSError).localizedDescription)")
        }
        return downloadsDirectory.appendingPathComponent("sha256-\(digest.hex).part")
    }

    /// Whether blob `digest` is stored with `size` bytes (its content is checked whenever it is read).
    public func hasBlob(_ digest: Digest, size: Int) -> Bool { layout.hasBlob(digest, size: size) }

    /// Moves a fsynced download whose SHA-256 and size the caller checked while it streamed into `blobs/` (an
    /// identical blob already stored counts as success).
    public func adoptDownload(_ file: URL, digest: Digest, size: Int) throws {
        try layout.adopt(file, digest: digest, size: size)
    }

    /// Stores a manifest pulled from elsewhere and tags it, once everything it names is stored: a learngene under
    /// `tag` (default its config's `name:version`; a tag holding other content is refused, as by publish); a derived
    /// artifact (a Des-Net, a tuned one, one trained from scratch) under `tag` or the tag recorded in it (never a
    /// learngene's tag); the learngene it names as base must be stored.
    /// - Returns: its digest and tag.
    /// - Throws: `StoreError.missingBlob` when a blob it names is absent or of another size,
    ///   `.corruptLayout` when it is not an lgreg artifact or disagrees with its config, `.tagExists`.
    @discardableResult
    public func ingestManifest(_ data: Data, tag: String? = nil, label: String) throws -> (
        digest: Digest, reference: String
    ) {
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        let image = try OCIJSON.decode(ImageManifest.self, from: data, file: label)
        guard image.schemaVersion == 2, image.mediaType == OCIMediaType.imageManifest else {
            throw StoreError.corruptLayout(
                file: label, reason: "is not an OCI image manifest (schemaVersion 2, \(OCIMediaType.imageManifest))")
        }
        for blob in [image.config] + image.layers where !hasBlob(blob.digest, size: blob.size) {
            throw StoreError.missingBlob(blob.digest)
        }
        let reference: String
        let identity = Self.identity(of: image)
        let digest = Digest.of(data)
        if image.artifactType == OCIMediaType.learngene {
            let config = try layout.readBlob(image.config.digest)
            let manifest = try Self.learngeneConfig(of: image, config: config, label: label)
            reference = tag ?? manifest.reference
            try Self.checkTag(reference)
            let descriptor = try layout.writeBlob(data, mediaType: OCIMediaType.imageManifest)
            _ = try tagManifest(
                descriptor, artifactType: OCIMediaType.learngene, identity: identity, reference: reference,
                replacing: false,
                sameContent: { (try? self.imageManifest($0))?.config.digest == image.config.digest })
        } else if let artifactType = image.artifactType, !artifactType.isEmpty,
            let own = tag ?? image.annotations?[OCIAnnotation.refName]
        {
            // A derived artifact: a Des-Net, a verification report, a model tuned from a learngene or trained from
            // scratch (no base). The base it names must be stored.
            reference = own
            try checkDerivedTag(reference)
            if let base = image.annotations?[OCIAnnotation.baseDigest] {
                guard let baseDigest = Digest(base) else {
                    throw StoreError.corruptLayout(
                        file: label, reason: "its base digest \"\(base.prefix(80))\" is not sha256:<64 hex digits>")
                }
                guard (try? imageManifest(baseDigest)) != nil else {
                    throw StoreError.baseMissing(label: label, base: baseDigest)
                }
            }
            let descriptor = try layout.writeBlob(data, mediaType: OCIMediaType.imageManifest)
            try tagDerived(descriptor, image: image, reference: reference)
            return (digest, reference)
        } else {
            throw StoreError.corruptLayout(
                file: label,
                reason: "is neither a learngene (\(OCIMediaType.learngene)) nor an artifact derived from one")
        }
        syncAfterCommit()
        return (digest, reference)
    }

    /// The learngene manifest in a learngene's config, checked against the OCI manifest that names it: one layer per
    /// file the config lists, with that file's digest and a size the architecture allows, and the same name. A
    /// pull checks the config alone this way before it fetches a byte of a layer.
    /// - Throws: `ArchiveError.invalidManifest` when the config is no valid learngene manifest,
    ///   `StoreError.corruptLayout` naming what disagrees.
    public static func learngeneConfig(
        of image: ImageManifest, config: Data,
        label: String
    ) throws -> LearngeneManifest {
        let manifest = try LearngeneManifest.decode(config, path: label + " (config)")
        try manifest.validateFileSizes(path: label + " (config)")
        let files = manifest.files
        guard image.layers.count == files.count else {
            throw StoreError.corruptLayout(
                file: label,
                reason: "it lists \(image.layers.count) layers; its config (a "
                    + "\(manifest.kind.rawValue) learngene, schedule \(manifest.schedule)) lists \(files.count) files")
        }
        for (index, (layer, file)) in zip(image.layers, files).enumerated()
        where layer.digest != file.digest || layer.size != file.size {
            throw StoreError.corruptLayout(
                file: label,
                reason: "layer \(index) is \(layer.digest.short) of \(layer.size) "
                    + "bytes; its config lists \(file.file) as \(file.digest.short) of \(file.size) bytes")
        }
        guard image.annotations?[OCIAnnotation.name] == manifest.name else {
            throw StoreError.corruptLayout(
                file: label,
                reason: "its name annotation is not its config's name '\(manifest.name)'")
        }
        return manifest
    }

    /// The manifests stored with `org.opencontainers.image.base.digest` = `learngene` (its Des-Nets), tagged ones only.
    public func derivedArtifacts(of learngene: Digest) throws -> [Digest] {
        let (index, _) = try readIndex()
        var seen = Set<Digest>()
        return index.manifests.filter {
            $0.annotations?[OCIAnnotation.baseDigest] == learngene.description && seen.insert($0.digest).inserted
        }.map(\.digest)
    }

    /// The bytes of manifest or config blob `digest`, checked against it.
    public func blobBytes(_ digest: Digest) throws -> Data { try layout.readBlob(digest) }
}
