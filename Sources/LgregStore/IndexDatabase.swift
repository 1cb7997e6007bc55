import Foundation
import GRDB
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// The store's SQLite index (GRDB `DatabasePool`, WAL): a cache of facts derived from the layout, read and
/// written through the records in `*Record.swift`.
///
/// `sync` rebuilds the derived tables whenever `index.json` differs from the one they were built from, so
/// a crash between `index.json` and the database, or a database deleted by hand, heals on the next open.
final class IndexDatabase: @unchecked Sendable {
    /// Migration SQL, append-only; a copy of `Schemas/index.sql` (a test keeps the two identical).
    static let migrations: [(name: String, sql: String)] = [
        (
            "v1",
            #"""
            -- lgreg store index, schema version 1: a cache of facts derived from the OCI layout (index.json and the
            -- blobs it reaches). `lgreg fsck --rebuild-index` rebuilds it; nothing here is the only copy of anything,
            -- except `verifications`, the history of fsck runs.

            -- Key/value facts about the index itself; `index_digest` is the SHA-256 of the index.json it was built from.
            CREATE TABLE IF NOT EXISTS meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );

            -- Every manifest a tag reaches: learngene versions (artifact_type application/vnd.lgreg.learngene.v1) and
            -- derived artifacts (Des-Nets), with the learngene's own name, version and kind where it has them.
            CREATE TABLE IF NOT EXISTS manifests (
                digest TEXT PRIMARY KEY,
                artifact_type TEXT NOT NULL,
                config_digest TEXT NOT NULL,
                name TEXT,
                version TEXT,
                kind TEXT,
                stored_parameters INTEGER,
                total_bytes INTEGER NOT NULL,
                base_digest TEXT,
                created TEXT
            );

            -- Tags (index.json's org.opencontainers.image.ref.name), `name:version`.
            CREATE TABLE IF NOT EXISTS tags (
                ref TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                digest TEXT NOT NULL REFERENCES manifests(digest)
            );
            CREATE INDEX IF NOT EXISTS tags_by_name ON tags(name);

            -- Blobs the tagged manifests reach (manifest, config and layer blobs).
            CREATE TABLE IF NOT EXISTS blobs (
                digest TEXT PRIMARY KEY,
                size INTEGER NOT NULL,
                media_type TEXT NOT NULL
            );

            -- Which layer blobs each manifest lists, in order, with their role and index annotations.
            CREATE TABLE IF NOT EXISTS manifest_layers (
                manifest_digest TEXT NOT NULL REFERENCES manifests(digest),
                position INTEGER NOT NULL,
                blob_digest TEXT NOT NULL,
                role TEXT,
                layer_index INTEGER,
                PRIMARY KEY (manifest_digest, position)
            );

            -- Des-Nets materialized from learngenes (from the derived manifests' org.lgreg.materialization.* annotations).
            CREATE TABLE IF NOT EXISTS materializations (
                des_net_digest TEXT PRIMARY KEY REFERENCES manifests(digest),
                learngene_digest TEXT NOT NULL,
                depth INTEGER NOT NULL,
                strategy TEXT NOT NULL,
                layer_order TEXT,
                seed INTEGER,
                created TEXT
            );

            -- fsck's verdict on each blob it re-hashed (kept across rebuilds).
            CREATE TABLE IF NOT EXISTS verifications (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                digest TEXT NOT NULL,
                checked TEXT NOT NULL,
                ok INTEGER NOT NULL,
                detail TEXT
            );

            """#
        ),
        (
            "v2",
            #"""

            -- Schema version 2: a tagged manifest that cannot be read is listed as damaged instead of dropped, and the blobs
            -- whose SHA-256 was checked are remembered, so tensor bytes are re-hashed only when their file changed.

            -- Why a tagged manifest could not be read (its manifest or config blob missing, quarantined or invalid); NULL
            -- when it reads.
            ALTER TABLE manifests ADD COLUMN damage TEXT;

            -- Blobs whose SHA-256 matched their name, with the file's identity and times at that moment: a reader re-hashes
            -- a blob before using its bytes whenever any of these differ from the file's.
            CREATE TABLE IF NOT EXISTS verified_blobs (
                digest TEXT PRIMARY KEY,
                device INTEGER NOT NULL,
                inode INTEGER NOT NULL,
                size INTEGER NOT NULL,
                mtime_ns INTEGER NOT NULL,
                ctime_ns INTEGER NOT NULL
            );

            """#
        ),
        (
            "v3",
            #"""

            -- Schema version 3: a tag whose manifest blob is missing (deleted, or quarantined by fsck) has no config digest,
            -- and one such tag must not stop every command, so config_digest may be NULL. SQLite cannot drop a NOT NULL:
            -- the table is made again with the same rows.
            CREATE TABLE manifests_v3 (
                digest TEXT PRIMARY KEY,
                artifact_type TEXT NOT NULL,
                config_digest TEXT,
                name TEXT,
                version TEXT,
                kind TEXT,
                stored_parameters INTEGER,
                total_bytes INTEGER NOT NULL,
                base_digest TEXT,
                created TEXT,
                damage TEXT
            );
            INSERT INTO manifests_v3 SELECT digest, artifact_type, config_digest, name, version, kind, stored_parameters,
                total_bytes, base_digest, created, damage FROM manifests;
            DROP TABLE manifests;
            ALTER TABLE manifests_v3 RENAME TO manifests;

            """#
        ),
    ]

    /// The database: a `DatabasePool` on `index.db`, or an in-memory copy built from the layout when the file
    /// cannot be used (a read-only or full filesystem, a reader facing a stale file).
    let writer: any DatabaseWriter
    /// The file, or nil in memory.
    let url: URL?

    private init(writer: any DatabaseWriter, url: URL?) {
        self.writer = writer
        self.url = url
    }

    private static func configuration(readonly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.readonly = readonly
        // A cache rebuilt from the layout needs no fsync per commit: WAL with synchronous=NORMAL stays
        // consistent through a crash and may only lose the last commits, which the next open rebuilds.
        if !readonly { configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") } }
        return configuration
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    /// Opens `url` for writing, creating and migrating it.
    /// - Throws: `Unreadable` when the file is no usable SQLite database, `StoreError` otherwise.
    static func openForWriting(_ url: URL) throws -> IndexDatabase {
        do {
            let pool = try DatabasePool(path: url.path, configuration: configuration(readonly: false))
            try migrator.migrate(pool)
            return IndexDatabase(writer: pool, url: url)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw Unreadable(reason: "\(url.path): \(error.message ?? error.description)")
        } catch let error as DatabaseError {
            throw storeError(error, path: url.path)
        }
    }

    /// Opens an existing, fully migrated `url` without creating or migrating anything (a reader's way in);
    /// nil when there is no such file or it cannot be opened. Writes through it (the verification cache) are
    /// best effort.
    static func openExisting(_ url: URL) -> IndexDatabase? {
        guard access(url.path, R_OK) == 0 else { return nil }
        let writable = access(url.path, W_OK) == 0 && access(url.deletingLastPathComponent().path, W_OK) == 0
        guard let pool = try? DatabasePool(path: url.path, configuration: configuration(readonly: !writable)),
            (try? pool.read({ try migrator.hasCompletedMigrations($0) })) == true
        else { return nil }
        return IndexDatabase(writer: pool, url: url)
    }

    /// An empty, migrated database in memory.
    static func inMemory() throws -> IndexDatabase {
        let queue = try DatabaseQueue()
        try migrator.migrate(queue)
        return IndexDatabase(writer: queue, url: nil)
    }

    /// The file is not a usable SQLite database (corrupt, or not a database at all): the one failure after
    /// which the store sets the file aside and rebuilds the index from the layout.
    struct Unreadable: Error {
        var reason: String
    }

    /// A GRDB error as a store error: running out of space, a read-only or unreadable file are I/O errors.
    static func storeError(_ error: DatabaseError, path: String) -> StoreError {
        let message = error.message ?? error.description
        switch error.resultCode {
        case .SQLITE_FULL: return .io(path: path, reason: "no space left on device (\(message))")
        case .SQLITE_READONLY: return .io(path: path, reason: "read-only (\(message))")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM: return .io(path: path, reason: message)
        default: return .database(reason: "\(path): \(message)")
        }
    }

    private var label: String { url?.path ?? "index database (in memory)" }

    /// Runs a write transaction, turning GRDB errors into `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.write(body) } catch let error as DatabaseError {
            throw Self.storeError(error, path: label)
        }
    }

    /// Runs a read, turning GRDB errors into `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.read(body) } catch let error as DatabaseError {
            throw Self.storeError(error, path: label)
        }
    }

    /// Whether the derived tables were built from the `index.json` whose digest is `indexDigest`.
    func isBuilt(from indexDigest: Digest) -> Bool {
        (try? read { try MetaRecord.fetchOne($0, key: MetaRecord.indexDigestKey)?.value }) == indexDigest.description
    }

    /// One manifest's derived facts, gathered from its blobs, or why they could not be.
    struct ManifestFacts {
        var digest: Digest
        var manifest: ImageManifest?
        var learngene: LearngeneManifest?
        var damage: String?
    }

    /// Replaces the derived tables with the facts of the index `load` reads unless they were built from that
    /// index already (`force` rebuilds anyway). `load` runs inside the write transaction, so of two processes
    /// syncing at once the later one always sees the later `index.json`.
    func sync(force: Bool, load: () throws -> (ImageIndex, Digest), facts: (Digest) -> ManifestFacts) throws {
        try write { db in
            let (index, indexDigest) = try load()
            if !force, try MetaRecord.fetchOne(db, key: MetaRecord.indexDigestKey)?.value == indexDigest.description {
                return
            }
            for record in [
                MaterializationRecord.self, ManifestLayerRecord.self, TagRecord.self, BlobRecord.self,
                ManifestRecord.self,
            ] as [any TableRecord.Type] {
                _ = try record.deleteAll(db)
            }
            var seen = Set<Digest>()
            for descriptor in index.manifests {
                if seen.insert(descriptor.digest).inserted {
                    try insert(facts(descriptor.digest), descriptor: descriptor, db)
                }
                if let ref = descriptor.annotations?[OCIAnnotation.refName] {
                    let parts = ref.split(separator: ":", maxSplits: 1).map(String.init)
                    try TagRecord(
                        ref: ref, name: parts[0], version: parts.count > 1 ? parts[1] : "", digest: descriptor.digest
                    ).save(db)
                }
            }
            try MetaRecord(key: MetaRecord.indexDigestKey, value: indexDigest.description).save(db)
        }
    }

    private func insert(_ facts: ManifestFacts, descriptor: Descriptor, _ db: Database) throws {
        let size = descriptor.size
        guard let m = facts.manifest else {
            try ManifestRecord(
                digest: facts.digest, artifactType: descriptor.artifactType ?? "", configDigest: nil, name: nil,
                version: nil,
                kind: nil, storedParameters: nil, totalBytes: size, baseDigest: nil, created: nil, damage: facts.damage
            ).insert(db)
            return
        }
        let notes = m.annotations ?? [:]
        // When it was tagged (index.json), else an older store's manifest time.
        let created = descriptor.annotations?[OCIAnnotation.created] ?? notes[OCIAnnotation.created]
        let total = size + m.config.size + m.layers.reduce(0) { $0 + $1.size }
        try ManifestRecord(
            digest: facts.digest, artifactType: m.artifactType ?? "", configDigest: m.config.digest,
            name: facts.learngene?.name,
            version: facts.learngene?.version, kind: facts.learngene?.kind.rawValue,
            storedParameters: facts.learngene?.parameters?.stored, totalBytes: total,
            baseDigest: notes[OCIAnnotation.baseDigest], created: created, damage: facts.damage
        ).insert(db)
        try BlobRecord(digest: facts.digest, size: size, mediaType: OCIMediaType.imageManifest).insert(
            db, onConflict: .ignore)
        try BlobRecord(digest: m.config.digest, size: m.config.size, mediaType: m.config.mediaType).insert(
            db, onConflict: .ignore)
        for (position, layer) in m.layers.enumerated() {
            try BlobRecord(digest: layer.digest, size: layer.size, mediaType: layer.mediaType).insert(
                db, onConflict: .ignore)
            try ManifestLayerRecord(
                manifestDigest: facts.digest, position: position, blobDigest: layer.digest,
                role: layer.annotations?[OCIAnnotation.role],
                layerIndex: layer.annotations?[OCIAnnotation.layerIndex].flatMap { Int($0) }
            ).insert(db)
        }
        if let base = notes[OCIAnnotation.baseDigest].flatMap { Digest($0) },
            let depth = notes[OCIAnnotation.materializationDepth].flatMap({ Int($0) }),
            let strategy = notes[OCIAnnotation.materializationStrategy]
        {
            try MaterializationRecord(
                desNetDigest: facts.digest, learngeneDigest: base, depth: depth, strategy: strategy,
                layerOrder: notes[OCIAnnotation.materializationOrder],
                seed: notes[OCIAnnotation.materializationSeed].flatMap { Int($0) }, created: created
            ).insert(db)
        }
    }
}
