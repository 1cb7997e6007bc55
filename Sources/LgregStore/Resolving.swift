import Foundation
import GRDB
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

extension LearngeneStore {
    /// The digest of the manifest `reference` names: a tag `name:version`; a `name`, meaning its most
    /// recently published learngene version; or a digest prefix (`sha256:` optional, at least 4 hex digits) of a tagged
    /// manifest.
    /// - Throws: `StoreError.notFound`, `.ambiguous` or `.invalidReference`.
    public func resolveDigest(_ reference: String) throws -> Digest {
        try resolveDigest(reference, in: try readIndex().0)
    }

    /// `resolveDigest(reference)` against an `index.json` already read.
    func resolveDigest(_ reference: String, in index: ImageIndex) throws -> Digest {
        if let tagged = index.tagged(reference) { return tagged.digest }
        if LearngeneManifest.isValidName(reference) {
            let versions = index.manifests.filter {
                $0.annotations?[OCIAnnotation.refName]?.hasPrefix(reference + ":") == true
            }
            // Learngenes before derived artifacts, then the latest publication.
            let ranked = versions.map { ($0, $0.artifactType == OCIMediaType.learngene, createdTime(of: $0)) }
            if let latest = ranked.max(by: { ($0.1 ? 1 : 0, $0.2) < ($1.1 ? 1 : 0, $1.2) }) { return latest.0.digest }
        }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        guard Digest.isHex(hex), hex.count >= 4 else {
            if reference.contains(":") || LearngeneManifest.isValidName(reference) {
                throw StoreError.notFound(reference: reference)
            }
            throw StoreError.invalidReference(reference)
        }
        let matches = Set(index.manifests.map(\.digest).filter { $0.hex.hasPrefix(hex) }).sorted()
        guard let first = matches.first else { throw StoreError.notFound(reference: reference) }
        guard matches.count == 1 else {
            throw StoreError.ambiguous(reference: reference, candidates: matches.map(\.short))
        }
        return first
    }

    /// The learngene `reference` names, with its manifest and a handle on each blob that checks the blob's
    /// digest when opened.
    /// - Throws: `StoreError.notFound`, or `.notALearngene` when the reference names a derived entry (a Des-Net).
    public func resolve(_ reference: String) throws -> StoredLearngene {
        let (index, _) = try readIndex()
        return try learngene(at: try resolveDigest(reference, in: index), reference: reference, index: index)
    }

    /// The learngene whose manifest is blob `digest`, tagged or not (the learngene of an orphaned Des-Net); its tags
    /// from `index` when the caller has read it.
    /// - Throws: `StoreError.notALearngene` when the manifest is another kind; what reading the blob throws.
    public func learngene(at digest: Digest, reference: String? = nil) throws -> StoredLearngene {
        try learngene(at: digest, reference: reference, index: try readIndex().0)
    }

    private func learngene(at digest: Digest, reference: String?, index: ImageIndex) throws -> StoredLearngene {
        let image = try imageManifest(digest)
        guard image.artifactType == OCIMediaType.learngene, image.layers.count >= 1 else {
            throw StoreError.notALearngene(
                reference: reference ?? digest.description, digest: digest,
                artifactType: image.artifactType ?? "manifest")
        }
        let configURL = layout.blob(image.config.digest)
        let manifest = try LearngeneManifest.decode(try layout.readBlob(image.config.digest), path: configURL.path)
        let blobs = image.layers.map { layer in
            StoredBlob(
                descriptor: layer, url: layout.blob(layer.digest), verify: { [self] in try verifyBlob(layer.digest) })
        }
        guard blobs.count == manifest.files.count, zip(blobs, manifest.files).allSatisfy({ $0.digest == $1.digest })
        else {
            throw StoreError.corruptLayout(
                file: layout.blob(digest).path, reason: "its layers disagree with the files its config lists")
        }
        let tags = index.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
        return StoredLearngene(
            digest: digest, imageManifest: image, manifest: manifest, tags: tags.sorted(),
            shared: blobs[0], layers: Array(blobs.dropFirst()))
    }

    /// Checks that blob `digest` hashes to its name before its bytes are used. A blob whose file (device,
    /// inode, size, mtime, ctime) is as it was when last found intact is trusted; any other is re-hashed and, when
    /// intact, remembered in the index database (best effort: a reader on a read-only store re-hashes each run).
    /// - Throws: `StoreError.digestMismatch` naming the file and what it hashes to, `.missingBlob`, `.io`.
    public func verifyBlob(_ digest: Digest) throws {
        let path = layout.blob(digest).path
        guard let identity = VerifiedBlobRecord(digest: digest, path: path) else {
            if access(path, F_OK) != 0 { throw StoreError.missingBlob(digest) }
            throw StoreError.corruptLayout(file: path, reason: "is not a regular file")
        }
        let cache = try? database()
        if let cache, (try? cache.read({ try VerifiedBlobRecord.fetchOne($0, key: ["digest": digest]) })) == identity {
            return
        }
        let (actual, _) = try layout.hashBlob(digest)
        guard actual == digest else { throw StoreError.digestMismatch(file: path, expected: digest, actual: actual) }
        _ = try? cache?.write { try identity.save($0) }
    }

    /// What is wrong with a stored learngene's blobs, each re-hashed as `verifyBlob` does; empty when intact.
    public func damage(of stored: StoredLearngene) -> [String] {
        ([stored.imageManifest.config] + stored.imageManifest.layers).compactMap { blob in
            do {
                try verifyBlob(blob.digest)
                return nil
            } catch { return "\(error)" }
        }
    }

    // MARK: Listing

    /// Every tagged learngene, one row per tag, by name then version, a damaged one included with what is
    /// wrong (its manifest or config unreadable, a blob missing or of the wrong size).
    public func list() throws -> [LearngeneSummary] {
        let (tags, manifests, layers) = try readCache { db in
            (
                try TagRecord.order(TagRecord.Columns.name, TagRecord.Columns.version).fetchAll(db),
                try ManifestRecord.fetchAll(db),
                try ManifestLayerRecord.order(ManifestLayerRecord.Columns.position).fetchAll(db)
            )
        }
        let manifestByDigest = Dictionary(manifests.map { ($0.digest, $0) }) { first, _ in first }
        let layersByManifest = Dictionary(grouping: layers, by: \.manifestDigest)
        return tags.compactMap { tag in
            guard let manifest = manifestByDigest[tag.digest], manifest.artifactType == OCIMediaType.learngene else {
                return nil
            }
            let listed = layersByManifest[tag.digest] ?? []
            return LearngeneSummary(
                reference: tag.ref, digest: tag.digest, name: tag.name, version: tag.version,
                kind: manifest.kind ?? "unknown",
                layers: listed.filter { $0.role != "shared" }.count, storedParameters: manifest.storedParameters ?? 0,
                totalBytes: manifest.totalBytes, created: manifest.created,
                damage: manifest.damage ?? missingBlobs(of: manifest, layers: listed))
        }
    }

    /// The blobs of a manifest that are missing or cannot be read, in words; nil when none.
    private func missingBlobs(of manifest: ManifestRecord, layers: [ManifestLayerRecord]) -> String? {
        var wanted = layers.map(\.blobDigest)
        if let config = manifest.configDigest { wanted.insert(config, at: 0) }
        let missing = wanted.filter { access(layout.blob($0).path, F_OK) != 0 }
        let unreadable = wanted.filter { !missing.contains($0) && access(layout.blob($0).path, R_OK) != 0 }
        func named(_ digests: [Digest]) -> String { digests.map(\.short).joined(separator: ", ") }
        let damage: [String] =
            (missing.isEmpty
                ? []
                : [
                    "\(missing.count) blob(s) missing: \(named(missing)) "
                        + "(publishing the archive again restores them)"
                ])
            + (unreadable.isEmpty
                ? []
                : [
                    "\(unreadable.count) blob(s) unreadable: \(named(unreadable)) "
                        + "(permission denied or an I/O error: check the files' owner and mode)"
                ])
        return damage.isEmpty ? nil : damage.joined(separator: "; ")
    }

    /// Recorded materializations, all or those of one learngene manifest.
    public func materializations(of learngene: Digest? = nil) throws -> [Materialization] {
        try readCache { db in
            var request = MaterializationRecord.order(
                MaterializationRecord.Columns.created, MaterializationRecord.Columns.desNetDigest)
            if let learngene { request = request.filter(MaterializationRecord.Columns.learngeneDigest == learngene) }
            return try request.fetchAll(db).map(\.materialization)
        }
    }

    // MARK: Export

    /// Writes the learngene `reference` names as a `.lgz` archive whose `manifest.json` and tensor files are
    /// byte-identical to those published; every blob is re-hashed on the way out.
    @discardableResult
    public func export(_ reference: String, to url: URL) throws -> StoredLearngene {
        let stored = try resolve(reference)
        let manifestBytes = try layout.readBlob(stored.imageManifest.config.digest)
        try LearngeneArchive.write(manifestBytes: manifestBytes, manifest: stored.manifest, to: url) { record in
            try layout.readBlob(record.digest)
        }
        return stored
    }

    /// When the tag `descriptor` was made (its `index.json` annotation), else what an older store's manifest
    /// says, else "".
    func createdTime(of descriptor: Descriptor) -> String {
        descriptor.annotations?[OCIAnnotation.created] ?? (try? imageManifest(descriptor.digest))?.annotations?[
            OCIAnnotation.created] ?? ""
    }
}
