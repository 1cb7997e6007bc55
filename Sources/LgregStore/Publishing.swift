import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

extension LearngeneStore {
    /// Checks an archive entry by entry while streaming it into `.lgreg/tmp`, decides whether the tag may take
    /// it, then moves its files into `blobs/` (an identical layer already stored is kept once), writes the config
    /// and manifest blobs, tags the manifest (`tag`, default the manifest's `name:version`) and updates the
    /// database.
    ///
    /// Publishing content the tag already holds writes back any of its blobs that are missing (quarantined by
    /// fsck, deleted by hand) and otherwise changes nothing. A tag whose manifest is gone is repaired by
    /// publishing the learngene it was made for.
    /// - Throws: `ArchiveError` for a bad archive and `StoreError.tagExists` when the tag holds other content,
    ///   both before any blob is added; `StoreError.io` when the disk is full or read-only.
    @discardableResult
    public func publish(archive: URL, tag: String? = nil, limits: ArchiveLimits = ArchiveLimits()) throws
        -> PublishResult
    {
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        let staging = layout.temporaryFile("publish")
        do { try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false) } catch {
            throw StoreError.io(path: staging.path, reason: "cannot create: \((error as NSError).localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        let checked = try LearngeneArchive.read(archive, into: staging, limits: limits, label: archive.path)
        let manifest = checked.manifest
        let reference = tag ?? manifest.reference
        try Self.checkTag(reference)
        let configDigest = Digest.of(checked.manifestBytes)
        let target = try publicationTarget(reference: reference, name: manifest.name, configDigest: configDigest)
        CrashPoint.staged.reached()

        var reused = 0
        var layers: [Descriptor] = []
        for (slot, file) in checked.files.enumerated() {
            if access(layout.blob(file.record.digest).path, F_OK) == 0 { reused += 1 }
            try layout.adopt(file.url!, digest: file.record.digest, size: file.record.size, syncDirectory: false)
            if slot == 0 { CrashPoint.firstBlob.reached() }
            var notes = [
                OCIAnnotation.title: file.record.file,
                OCIAnnotation.role: slot == 0 ? "shared" : manifest.layers[slot - 1].role.rawValue,
            ]
            if slot > 0 { notes[OCIAnnotation.layerIndex] = String(slot - 1) }
            layers.append(
                Descriptor(
                    mediaType: OCIMediaType.safetensors, digest: file.record.digest, size: file.record.size,
                    annotations: notes))
        }
        CrashPoint.blobs.reached()
        let configWasStored = access(layout.blob(configDigest).path, F_OK) == 0
        let config = Descriptor(
            mediaType: OCIMediaType.learngeneConfig, digest: configDigest, size: checked.manifestBytes.count)
        var blobs = [(data: checked.manifestBytes, mediaType: OCIMediaType.learngeneConfig)]
        var existing: Descriptor?
        if case .reuse(let same, _) = target {
            existing = same
            utimes(layout.blob(same.digest).path, nil)
        } else {
            let image = ImageManifest(
                artifactType: OCIMediaType.learngene, config: config, layers: layers,
                annotations: [
                    OCIAnnotation.version: manifest.version, OCIAnnotation.licenses: manifest.license,
                    OCIAnnotation.title: manifest.name, OCIAnnotation.description: manifest.description,
                    OCIAnnotation.name: manifest.name,
                    OCIAnnotation.kind: manifest.kind.rawValue,
                ])
            blobs.append((try image.encoded(), OCIMediaType.imageManifest))
        }
        // Config and manifest fsynced together, renamed in that order; one fsync of blobs/sha256 then makes every
        // rename above durable before index.json names them.
        let written = try layout.writeBlobs(blobs) { if $0 == 0 { CrashPoint.config.reached() } }
        let descriptor = existing ?? written[1]
        CrashPoint.manifest.reached()
        let digest = try tagManifest(
            descriptor, artifactType: OCIMediaType.learngene, identity: [OCIAnnotation.name: manifest.name],
            reference: reference, replacing: target == .repair,
            sameContent: { (try? self.imageManifest($0))?.config.digest == configDigest })
        CrashPoint.index.reached()
        syncAfterCommit()
        CrashPoint.database.reached()
        let newBlobs = checked.files.count - reused
        let unchanged = newBlobs == 0 && configWasStored && target == .reuse(descriptor, tagHeld: true)
        return PublishResult(
            digest: digest, reference: reference, newBlobs: newBlobs, reusedBlobs: reused,
            bytes: manifest.files.reduce(0) { $0 + $1.size }, alreadyPublished: unchanged || digest != descriptor.digest
        )
    }

    /// What a publish does with its manifest, decided before any blob is written.
    enum PublicationTarget: Equatable {
        /// Reuse this intact manifest, which the tag itself already holds (`tagHeld`) or another tag does.
        case reuse(Descriptor, tagHeld: Bool)
        /// Write a new manifest and add the tag.
        case new
        /// Write a new manifest and repoint the tag, whose own manifest is gone.
        case repair
    }

    /// Whether `reference` may take a learngene named `name` with config `configDigest`, and with which manifest.
    /// - Throws: `StoreError.tagExists` when the tag holds other content.
    private func publicationTarget(reference: String, name: String, configDigest: Digest) throws -> PublicationTarget {
        let (index, _) = try readIndex()
        if let existing = index.tagged(reference) {
            guard let image = try? imageManifest(existing.digest) else {
                // The tag's manifest is missing or damaged: the learngene it was made for may repair it.
                let madeFor = existing.annotations?[OCIAnnotation.name] ?? String(reference.prefix { $0 != ":" })
                guard madeFor == name else {
                    throw StoreError.tagExists(reference: reference, existing: existing.digest)
                }
                return .repair
            }
            guard image.config.digest == configDigest else {
                throw StoreError.tagExists(reference: reference, existing: existing.digest)
            }
            return .reuse(
                Descriptor(mediaType: OCIMediaType.imageManifest, digest: existing.digest, size: existing.size),
                tagHeld: true)
        }
        // The same content under another tag gets the same manifest.
        for descriptor in index.manifests where descriptor.artifactType == OCIMediaType.learngene {
            if let image = try? imageManifest(descriptor.digest), image.config.digest == configDigest {
                return .reuse(
                    Descriptor(mediaType: OCIMediaType.imageManifest, digest: descriptor.digest, size: descriptor.size),
                    tagHeld: false)
            }
        }
        return .new
    }
}
