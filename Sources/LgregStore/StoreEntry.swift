import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// One tagged manifest of any kind, as `list --all`, `show` and `du` see it: a learngene, or an entry derived
/// from another manifest (a Des-Net, a tuned Des-Net, any later `artifactType`), with what it derives from.
public struct StoreEntry: Codable, Sendable {
    /// The tag, `name:version`.
    public var reference: String
    /// Manifest digest.
    public var digest: Digest
    /// The manifest's `artifactType`.
    public var artifactType: String
    /// The manifest this one derives from (`org.opencontainers.image.base.digest`); nil for a learngene.
    public var base: Digest?
    /// Bytes of the manifest, config and layer blobs (a blob shared with other entries counted here too).
    public var totalBytes: Int
    /// RFC 3339 creation time.
    public var created: String?
    /// Depth, strategy, order and seed of a materialized Des-Net (its `org.lgreg.materialization.*` annotations).
    public var materialization: Materialization?
    /// What is wrong with the entry (a manifest or config blob unreadable); nil when it reads.
    public var damage: String?
    /// The manifest's config blob; nil when the manifest does not read.
    public var configDigest: Digest?
    /// Every blob the manifest reaches: itself, its config and its layers.
    public var blobs: [Digest]
}

/// Where the bytes of a store go: what `lgreg du` prints.
public struct StoreUsage: Codable, Sendable {
    /// One tagged entry's share.
    public struct EntryUsage: Codable, Sendable {
        public var reference: String
        public var digest: Digest
        public var artifactType: String
        /// Bytes of every blob the entry reaches.
        public var bytes: Int
        /// Of those, bytes of blobs no other tagged manifest reaches: what removing it (and `gc`) would free.
        public var uniqueBytes: Int
        /// Of those, bytes of blobs other tagged manifests reach too.
        public var sharedBytes: Int
    }

    /// Bytes of every file in `blobs/sha256`.
    public var storedBytes: Int
    /// Files in `blobs/sha256`.
    public var blobs: Int
    /// Bytes of the blobs two or more tagged manifests reach, each counted once.
    public var sharedBytes: Int
    /// Bytes `gc` would free, its grace period aside (`gc --grace 0`): blobs no tag reaches, except the kept
    /// blobs of untagged learngenes.
    public var reclaimableBytes: Int
    /// Bytes of untagged (dangling) learngenes that only `gc --prune-dangling` frees.
    public var danglingBytes: Int
    /// One row per tag.
    public var entries: [EntryUsage]
}

extension LearngeneStore {
    /// Every tag, of any kind, by name then version; a manifest that cannot be read is listed with its damage.
    public func entries() throws -> [StoreEntry] {
        let (tags, manifests, layers, materializations) = try readCache { db in
            (
                try TagRecord.order(TagRecord.Columns.name, TagRecord.Columns.version).fetchAll(db),
                try ManifestRecord.fetchAll(db),
                try ManifestLayerRecord.order(ManifestLayerRecord.Columns.position).fetchAll(db),
                try MaterializationRecord.fetchAll(db)
            )
        }
        let manifestByDigest = Dictionary(manifests.map { ($0.digest, $0) }) { first, _ in first }
        let layersByManifest = Dictionary(grouping: layers, by: \.manifestDigest)
        let materializationByDigest = Dictionary(materializations.map { ($0.desNetDigest, $0.materialization) }) {
            first, _ in first
        }
        return tags.compactMap { tag in
            guard let manifest = manifestByDigest[tag.digest] else { return nil }
            let blobs =
                [tag.digest] + (manifest.configDigest.map { [$0] } ?? [])
                + (layersByManifest[tag.digest] ?? []).map(\.blobDigest)
            return StoreEntry(
                reference: tag.ref, digest: tag.digest, artifactType: manifest.artifactType,
                base: manifest.baseDigest.flatMap { Digest($0) }, totalBytes: manifest.totalBytes,
                created: manifest.created,
                materialization: materializationByDigest[tag.digest], damage: manifest.damage,
                configDigest: manifest.configDigest,
                blobs: blobs)
        }
    }

    /// The manifest blob `digest`, tagged or not, when it is stored and reads as an OCI manifest.
    public func storedImageManifest(_ digest: Digest) -> ImageManifest? {
        access(layout.blob(digest).path, F_OK) == 0 ? try? imageManifest(digest) : nil
    }

    /// The tags of manifest `digest`, sorted.
    public func tags(of digest: Digest) throws -> [String] {
        try readIndex().0.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
            .sorted()
    }

    /// The blobs `gc` keeps, its grace period aside: what the tags reach (a derived entry reaching what it derives
    /// from, down to its learngene), and unless `pruneDangling` the untagged learngenes with their blobs.
    /// - Returns: the kept blobs and those kept only as dangling learngenes.
    func blobsKept(pruneDangling: Bool) throws -> (kept: Set<Digest>, dangling: Set<Digest>, danglingManifests: Int) {
        let tagged = try readIndex().0.manifests.map(\.digest)
        var kept = blobsReached(from: tagged)
        guard !pruneDangling else { return (kept, [], 0) }
        let dangling = storedManifests().filter {
            !kept.contains($0.digest) && $0.image.artifactType == OCIMediaType.learngene
        }.map(\.digest)
        let danglingBlobs = blobsReached(from: dangling).subtracting(kept)
        kept.formUnion(danglingBlobs)
        return (kept, danglingBlobs, dangling.count)
    }

    /// Where the store's bytes go: stored, shared across entries, reclaimable by `gc`, and each entry's share.
    /// Reads only (no lock is taken; a write in flight may be counted as reclaimable).
    public func usage() throws -> StoreUsage {
        let entries = try entries()
        var sizes: [Digest: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.blobsDirectory.path)) ?? [] {
            guard let digest = Digest(hex: name) else { continue }
            var status = stat()
            if stat(layout.blob(digest).path, &status) == 0 { sizes[digest] = Int(status.st_size) }
        }
        var reachers: [Digest: Set<Digest>] = [:]
        for entry in entries { for blob in entry.blobs { reachers[blob, default: []].insert(entry.digest) } }
        let (kept, dangling, _) = try blobsKept(pruneDangling: false)
        func bytes(_ blobs: some Sequence<Digest>) -> Int { blobs.reduce(0) { $0 + (sizes[$1] ?? 0) } }
        let rows = entries.map { entry in
            let blobs = Set(entry.blobs)
            let shared = blobs.filter { (reachers[$0]?.count ?? 0) > 1 }
            return StoreUsage.EntryUsage(
                reference: entry.reference, digest: entry.digest, artifactType: entry.artifactType,
                bytes: bytes(blobs), uniqueBytes: bytes(blobs.subtracting(shared)), sharedBytes: bytes(shared))
        }
        return StoreUsage(
            storedBytes: bytes(sizes.keys), blobs: sizes.count,
            sharedBytes: bytes(reachers.filter { $0.value.count > 1 }.keys),
            reclaimableBytes: bytes(sizes.keys.filter { !kept.contains($0) }), danglingBytes: bytes(dangling),
            entries: rows)
    }
}

extension LearngeneStore {
    /// The bytes of blob `digest`, their SHA-256 checked.
    /// - Throws: `StoreError.missingBlob`, `.digestMismatch`, `.io`.
    public func readBlob(_ digest: Digest) throws -> Data { try layout.readBlob(digest) }
}
