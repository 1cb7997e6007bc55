import Foundation
import GRDB
import LgregArchive
import LgregCore
#if canImport(Glibc)
import Glibc
#endif

/// A content-addressed store of learngenes and what is derived from them: an OCI image layout plus a SQLite
/// index (see `StoreLayout` for the files).
///
/// ```swift
/// let store = try LearngeneStore(root: LearngeneStore.defaultRoot())
/// let published = try store.publish(archive: URL(fileURLWithPath: "aux-b.lgz"))
/// let aux = try store.resolve("aux-b:0.1.0")       // or "aux-b", or a digest prefix
/// let layer0 = try aux.layers[0].open()             // SafeTensorsFile mapped from the blob
/// ```
///
/// Writes are ordered blobs → config blob → manifest blob → `index.json` → database, each blob fsynced and
/// renamed into place, so a crash at any point leaves either nothing visible or the whole entry. Writers hold a
/// shared lock and gc an exclusive one; gc also spares blobs younger than its grace period.
public final class LearngeneStore: @unchecked Sendable {
    /// Where the files are.
    public let layout: StoreLayout
    let database: IndexDatabase

    /// Opens the store at `root`, creating the layout when `create` is true and it does not exist yet, and
    /// brings the index database up to date with `index.json`.
    /// - Throws: `StoreError.notAStore` when `root` exists but is no store and `create` is false.
    public init(root: URL, create: Bool = true) throws {
        layout = StoreLayout(root: root)
        if create { try layout.create() }
        try layout.check()
        // Opening creates and migrates the database on first use: processes opening a new store at once take
        // turns, so none sees another's half-made database.
        let lock = try FileLock(layout.indexLock, exclusive: true)
        do {
            database = try IndexDatabase(url: layout.database)
        } catch is IndexDatabase.Unreadable {
            // The database is a cache: set a corrupt one aside and rebuild it from the layout. Any other
            // failure (a busy or read-only file) is reported, never answered by moving the file away.
            let stamp = Int(Date().timeIntervalSince1970)
            for suffix in ["", "-wal", "-shm"] {
                rename(layout.database.path + suffix, layout.quarantineDirectory.appendingPathComponent("index.db\(suffix).\(stamp)").path)
            }
            database = try IndexDatabase(url: layout.database)
        }
        withExtendedLifetime(lock) {}
        try syncDatabase(force: false)
    }

    /// The SQL of the index database's schema (`Schemas/index.sql`).
    public static var indexSchemaSQL: String { IndexDatabase.migrations.map(\.sql).joined() }

    /// `$LGREG_HOME`, else `$XDG_DATA_HOME/lgreg`, else `~/.local/share/lgreg`.
    public static func defaultRoot() -> URL { StoreLayout.defaultRoot() }

    // MARK: Index

    /// Reads `index.json` and its digest.
    func readIndex() throws -> (ImageIndex, Digest) {
        guard let data = try? Data(contentsOf: layout.indexJSON) else {
            throw StoreError.corruptLayout(file: layout.indexJSON.path, reason: "cannot be read")
        }
        return (try OCIJSON.decode(ImageIndex.self, from: data, file: layout.indexJSON.path), Digest.of(data))
    }

    /// Rewrites `index.json` under the index lock: `change` edits the current index.
    func updateIndex<T>(_ change: (inout ImageIndex) throws -> T) throws -> T {
        let lock = try FileLock(layout.indexLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var (index, _) = try readIndex()
        let result = try change(&index)
        try layout.writeFileAtomically(try OCIJSON.encode(index), to: layout.indexJSON)
        return result
    }

    /// Rebuilds the database's derived tables if `index.json` changed since they were built.
    func syncDatabase(force: Bool) throws {
        try database.sync(force: force, load: readIndex) { try? self.facts($0) }
    }

    func facts(_ digest: Digest) throws -> IndexDatabase.ManifestFacts {
        let manifest = try imageManifest(digest)
        var learngene: LearngeneManifest?
        if manifest.artifactType == OCIMediaType.learngene {
            learngene = try LearngeneManifest.decode(try layout.readBlob(manifest.config.digest), path: layout.blob(manifest.config.digest).path)
        }
        return .init(digest: digest, manifest: manifest, learngene: learngene)
    }

    /// The OCI manifest stored as blob `digest`, its bytes verified.
    public func imageManifest(_ digest: Digest) throws -> ImageManifest {
        try OCIJSON.decode(ImageManifest.self, from: try layout.readBlob(digest), file: layout.blob(digest).path)
    }

    // MARK: Publish

    /// Checks an archive entry by entry while streaming it into `.lgreg/tmp`, then moves its files into
    /// `blobs/` (an identical layer already stored is kept once), writes the config and manifest blobs, tags the
    /// manifest (`tag`, default the manifest's `name:version`) and updates the database.
    ///
    /// Publishing an archive whose content the tag already holds changes nothing and succeeds.
    /// - Throws: `ArchiveError` for a bad archive (the store is left byte-identical), `StoreError.tagExists`
    ///   when the tag holds other content.
    @discardableResult
    public func publish(archive: URL, tag: String? = nil, limits: ArchiveLimits = ArchiveLimits()) throws -> PublishResult {
        let lock = try FileLock(layout.writerLock, exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        let staging = layout.temporaryFile("publish")
        do { try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false) } catch {
            throw StoreError.io(path: staging.path, reason: "cannot create: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        let checked = try LearngeneArchive.read(archive, into: staging, limits: limits, label: archive.path)
        let manifest = checked.manifest
        let reference = tag ?? manifest.reference
        try Self.checkTag(reference)
        let configDigest = Digest.of(checked.manifestBytes)
        if let existing = try existingPublication(reference: reference, configDigest: configDigest) {
            return PublishResult(digest: existing, reference: reference, newBlobs: 0, reusedBlobs: checked.files.count,
                                 bytes: manifest.files.reduce(0) { $0 + $1.size }, alreadyPublished: true)
        }
        CrashPoint.staged.reached()

        var reused = 0
        var layers: [Descriptor] = []
        for (slot, file) in checked.files.enumerated() {
            if access(layout.blob(file.record.digest).path, F_OK) == 0 { reused += 1 }
            try layout.adopt(file.url!, digest: file.record.digest, size: file.record.size, syncDirectory: false)
            if slot == 0 { CrashPoint.firstBlob.reached() }
            var notes = [OCIAnnotation.title: file.record.file, OCIAnnotation.role: slot == 0 ? "shared" : manifest.layers[slot - 1].role.rawValue]
            if slot > 0 { notes[OCIAnnotation.layerIndex] = String(slot - 1) }
            layers.append(Descriptor(mediaType: OCIMediaType.safetensors, digest: file.record.digest, size: file.record.size, annotations: notes))
        }
        CrashPoint.blobs.reached()
        let config = try layout.writeBlob(checked.manifestBytes, mediaType: OCIMediaType.learngeneConfig, syncDirectory: false)
        CrashPoint.config.reached()
        let descriptor: Descriptor
        if let same = try taggedManifest(withConfig: configDigest) {
            descriptor = same
            utimes(layout.blob(same.digest).path, nil)
        } else {
            let image = ImageManifest(artifactType: OCIMediaType.learngene, config: config, layers: layers, annotations: [
                OCIAnnotation.created: Self.now(), OCIAnnotation.version: manifest.version, OCIAnnotation.licenses: manifest.license,
                OCIAnnotation.title: manifest.name, OCIAnnotation.description: manifest.description, OCIAnnotation.name: manifest.name,
                OCIAnnotation.kind: manifest.kind.rawValue,
            ])
            descriptor = try layout.writeBlob(try image.encoded(), mediaType: OCIMediaType.imageManifest, syncDirectory: false)
        }
        // One fsync of blobs/sha256 makes every rename above durable before index.json names them.
        StoreLayout.syncDirectory(layout.blobsDirectory)
        CrashPoint.manifest.reached()
        let digest = try tagManifest(descriptor, artifactType: OCIMediaType.learngene, reference: reference, replacing: false,
                                     sameContent: { try self.imageManifest($0).config.digest == configDigest })
        CrashPoint.index.reached()
        try syncDatabase(force: false)
        CrashPoint.database.reached()
        return PublishResult(digest: digest, reference: reference, newBlobs: checked.files.count - reused, reusedBlobs: reused,
                             bytes: manifest.files.reduce(0) { $0 + $1.size }, alreadyPublished: digest != descriptor.digest)
    }

    /// The manifest digest the tag points at when it holds a learngene with this config.
    private func existingPublication(reference: String, configDigest: Digest) throws -> Digest? {
        guard let found = try readIndex().0.tagged(reference) else { return nil }
        return (try? imageManifest(found.digest))?.config.digest == configDigest ? found.digest : nil
    }

    /// A tagged learngene manifest whose config is `configDigest`, so that the same content published under
    /// another tag gets the same manifest.
    private func taggedManifest(withConfig configDigest: Digest) throws -> Descriptor? {
        try readIndex().0.manifests.first { descriptor in
            descriptor.artifactType == OCIMediaType.learngene && (try? imageManifest(descriptor.digest))?.config.digest == configDigest
        }
    }

    /// Adds `reference` → `descriptor` to `index.json`. An existing tag is replaced when `replacing`, kept when
    /// `sameContent` says its manifest holds the same content (its digest is returned), refused otherwise.
    private func tagManifest(_ descriptor: Descriptor, artifactType: String, reference: String, replacing: Bool,
                             sameContent: (Digest) throws -> Bool) throws -> Digest {
        try updateIndex { index in
            if let existing = index.tagged(reference) {
                if existing.digest == descriptor.digest { return existing.digest }
                if !replacing {
                    if try sameContent(existing.digest) { return existing.digest }
                    throw StoreError.tagExists(reference: reference, existing: existing.digest, new: descriptor.digest)
                }
                index.manifests.removeAll { $0.annotations?[OCIAnnotation.refName] == reference }
            }
            index.manifests.append(Descriptor(mediaType: OCIMediaType.imageManifest, digest: descriptor.digest, size: descriptor.size,
                                              artifactType: artifactType, annotations: [OCIAnnotation.refName: reference]))
            return descriptor.digest
        }
    }

    /// Checks that a tag is `name:version` with a valid learngene name and version.
    public static func checkTag(_ reference: String) throws {
        let parts = reference.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, LearngeneManifest.isValidName(parts[0]), LearngeneManifest.isValidVersion(parts[1]) else {
            throw StoreError.invalidReference(reference)
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    // MARK: Resolve

    /// The digest of the manifest `reference` names: a tag `name:version`; a `name`, meaning its most
    /// recently published learngene version; or a digest prefix (`sha256:` optional, at least 4 hex digits) of a tagged
    /// manifest.
    /// - Throws: `StoreError.notFound`, `.ambiguous` or `.invalidReference`.
    public func resolveDigest(_ reference: String) throws -> Digest {
        let (index, _) = try readIndex()
        if let tagged = index.tagged(reference) { return tagged.digest }
        if LearngeneManifest.isValidName(reference) {
            let versions = index.manifests.filter { $0.annotations?[OCIAnnotation.refName]?.hasPrefix(reference + ":") == true }
            if !versions.isEmpty {
                // Learngenes before derived artifacts, then the latest publication.
                let ranked = versions.map { ($0, $0.artifactType == OCIMediaType.learngene, (try? imageManifest($0.digest))?.annotations?[OCIAnnotation.created] ?? "") }
                return ranked.max { ($0.1 ? 1 : 0, $0.2) < ($1.1 ? 1 : 0, $1.2) }!.0.digest
            }
        }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        guard Digest.isHex(hex), hex.count >= 4 else {
            if reference.contains(":") || LearngeneManifest.isValidName(reference) { throw StoreError.notFound(reference: reference) }
            throw StoreError.invalidReference(reference)
        }
        let matches = Set(index.manifests.map(\.digest).filter { $0.hex.hasPrefix(hex) }).sorted()
        guard let first = matches.first else { throw StoreError.notFound(reference: reference) }
        guard matches.count == 1 else { throw StoreError.ambiguous(reference: reference, candidates: matches.map(\.short)) }
        return first
    }

    /// The learngene `reference` names, with its manifest and a handle on each blob.
    /// - Throws: `StoreError.notFound` also when the reference names a derived artifact, not a learngene.
    public func resolve(_ reference: String) throws -> StoredLearngene {
        let digest = try resolveDigest(reference)
        let image = try imageManifest(digest)
        guard image.artifactType == OCIMediaType.learngene, image.layers.count >= 1 else {
            throw StoreError.notFound(reference: "\(reference) (\(digest.short) is a \(image.artifactType ?? "manifest"), not a learngene)")
        }
        let configURL = layout.blob(image.config.digest)
        let manifest = try LearngeneManifest.decode(try layout.readBlob(image.config.digest), path: configURL.path)
        let blobs = image.layers.map { StoredBlob(descriptor: $0, url: layout.blob($0.digest)) }
        guard blobs.count == manifest.files.count, zip(blobs, manifest.files).allSatisfy({ $0.digest == $1.digest }) else {
            throw StoreError.corruptLayout(file: layout.blob(digest).path, reason: "its layers disagree with the files its config lists")
        }
        let tags = try readIndex().0.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
        return StoredLearngene(digest: digest, imageManifest: image, manifest: manifest, tags: tags.sorted(),
                               shared: blobs[0], layers: Array(blobs.dropFirst()))
    }

    // MARK: Listing

    /// Every tagged learngene, one row per tag, by name then version.
    public func list() throws -> [LearngeneSummary] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.ref, t.name, t.version, m.digest, m.kind, m.stored_parameters, m.total_bytes, m.created,
                       (SELECT COUNT(*) FROM manifest_layers l WHERE l.manifest_digest = m.digest AND l.role != 'shared') AS layers
                FROM tags t JOIN manifests m ON m.digest = t.digest
                WHERE m.artifact_type = ? ORDER BY t.name, t.version
                """, arguments: [OCIMediaType.learngene]).map { row in
                LearngeneSummary(reference: row["ref"], digest: Digest(row["digest"] as String)!, name: row["name"], version: row["version"],
                                 kind: row["kind"], layers: row["layers"], storedParameters: row["stored_parameters"],
                                 totalBytes: row["total_bytes"], created: row["created"])
            }
        }
    }

    /// Recorded materializations, all or those of one learngene manifest.
    public func materializations(of learngene: Digest? = nil) throws -> [Materialization] {
        try database.read { db in
            let sql = "SELECT * FROM materializations" + (learngene == nil ? "" : " WHERE learngene_digest = ?") + " ORDER BY created, des_net_digest"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(learngene.map { [$0.description] } ?? [])).map { row in
                Materialization(desNetDigest: Digest(row["des_net_digest"] as String)!, learngeneDigest: Digest(row["learngene_digest"] as String)!,
                                depth: row["depth"], strategy: row["strategy"], order: row["layer_order"], seed: row["seed"], created: row["created"])
            }
        }
    }

    // MARK: Tags

    /// Tags the manifest `source` resolves to as `reference` (`name:version`).
    @discardableResult
    public func tag(_ source: String, as reference: String) throws -> Digest {
        try Self.checkTag(reference)
        let lock = try FileLock(layout.writerLock, exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        let digest = try resolveDigest(source)
        let image = try imageManifest(digest)
        let size = try layout.readBlob(digest).count
        _ = try tagManifest(Descriptor(mediaType: OCIMediaType.imageManifest, digest: digest, size: size), artifactType: image.artifactType ?? "",
                            reference: reference, replacing: false, sameContent: { $0 == digest })
        try syncDatabase(force: false)
        return digest
    }

    /// Removes tags: the tag `reference`, every version of a `name`, or every tag of a digest prefix. Blobs
    /// stay until `gc`. Returns the tags removed.
    @discardableResult
    public func remove(_ reference: String) throws -> [String] {
        let (index, _) = try readIndex()
        let tags: [String]
        if index.tagged(reference) != nil {
            tags = [reference]
        } else if LearngeneManifest.isValidName(reference), index.manifests.contains(where: { $0.annotations?[OCIAnnotation.refName]?.hasPrefix(reference + ":") == true }) {
            tags = index.manifests.compactMap { $0.annotations?[OCIAnnotation.refName] }.filter { $0.hasPrefix(reference + ":") }
        } else {
            let digest = try resolveDigest(reference)
            tags = index.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
        }
        try updateIndex { index in index.manifests.removeAll { tags.contains($0.annotations?[OCIAnnotation.refName] ?? "") } }
        try syncDatabase(force: false)
        return tags.sorted()
    }

    // MARK: Derived artifacts

    /// Writes a derived manifest: a new config blob plus layer blobs already in the store (none copied), with
    /// `org.opencontainers.image.base.digest` = `artifact.base`, tags it (replacing the tag if it exists) and
    /// records the materialization in the index when depth and strategy are given.
    /// - Throws: `StoreError.missingBlob` when a layer blob is absent or of another size.
    @discardableResult
    public func writeDerived(_ artifact: DerivedArtifact) throws -> Digest {
        try Self.checkTag(artifact.reference)
        let lock = try FileLock(layout.writerLock, exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        _ = try imageManifest(artifact.base)
        for layer in artifact.layers {
            var status = stat()
            guard stat(layout.blob(layer.digest).path, &status) == 0, Int(status.st_size) == layer.size else {
                throw StoreError.missingBlob(layer.digest)
            }
            utimes(layout.blob(layer.digest).path, nil)
        }
        let config = try layout.writeBlob(artifact.config, mediaType: artifact.configMediaType)
        var notes = artifact.annotations
        notes[OCIAnnotation.baseDigest] = artifact.base.description
        notes[OCIAnnotation.created] = Self.now()
        if let depth = artifact.depth { notes[OCIAnnotation.materializationDepth] = String(depth) }
        if let strategy = artifact.strategy { notes[OCIAnnotation.materializationStrategy] = strategy }
        if let order = artifact.order { notes[OCIAnnotation.materializationOrder] = order }
        if let seed = artifact.seed { notes[OCIAnnotation.materializationSeed] = String(seed) }
        let image = ImageManifest(artifactType: artifact.artifactType, config: config, layers: artifact.layers, annotations: notes)
        let descriptor = try layout.writeBlob(try image.encoded(), mediaType: OCIMediaType.imageManifest)
        _ = try tagManifest(descriptor, artifactType: artifact.artifactType, reference: artifact.reference, replacing: true, sameContent: { _ in false })
        try syncDatabase(force: false)
        return descriptor.digest
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
}
