import Foundation
import GRDB
import LgregArchive
import LgregCore

/// The store's SQLite index (GRDB `DatabasePool`, WAL): a cache of facts derived from the layout.
///
/// `sync` rebuilds the derived tables whenever `index.json` differs from the one they were built from, so
/// a crash between `index.json` and the database, or a database deleted by hand, heals on the next open.
final class IndexDatabase: @unchecked Sendable {
    /// Migration SQL, append-only; a copy of `Schemas/index.sql` (a test keeps the two identical).
    static let migrations: [(name: String, sql: String)] = [("v1", #"""
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

"""#)]

    let pool: DatabasePool

    init(url: URL) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        // A cache rebuilt from the layout needs no fsync per commit: WAL with synchronous=NORMAL stays
        // consistent through a crash and may only lose the last commits, which the next open rebuilds.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: url.path, configuration: configuration)
            var migrator = DatabaseMigrator()
            for migration in Self.migrations {
                migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
            }
            try migrator.migrate(pool)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw Unreadable(reason: "\(url.path): \(error.message ?? error.description)")
        } catch let error as DatabaseError {
            throw StoreError.database(reason: "\(url.path): \(error.message ?? error.description)")
        }
    }

    /// The file is not a usable SQLite database (corrupt, or not a database at all): the one failure after
    /// which the store sets the file aside and rebuilds the index from the layout.
    struct Unreadable: Error {
        var reason: String
    }

    /// Runs a write transaction, turning GRDB errors into `StoreError.database`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw StoreError.database(reason: error.message ?? error.description)
        }
    }

    /// Runs a read, turning GRDB errors into `StoreError.database`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw StoreError.database(reason: error.message ?? error.description)
        }
    }

    /// One manifest's derived facts, gathered from its blobs.
    struct ManifestFacts {
        var digest: Digest
        var manifest: ImageManifest
        var learngene: LearngeneManifest?
    }

    /// Replaces the derived tables with the facts of the index `load` reads unless they were built from that
    /// index already (`force` rebuilds anyway). `load` runs inside the write transaction, so of two processes
    /// syncing at once the later one always sees the later `index.json`.
    func sync(force: Bool, load: () throws -> (ImageIndex, Digest), facts: (Digest) -> ManifestFacts?) throws {
        try write { db in
            let (index, indexDigest) = try load()
            if !force, try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'index_digest'") == indexDigest.description {
                return
            }
            for table in ["materializations", "manifest_layers", "tags", "blobs", "manifests"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            var seen = Set<Digest>()
            for descriptor in index.manifests {
                guard let found = facts(descriptor.digest) else { continue }
                if seen.insert(descriptor.digest).inserted { try insert(found, size: descriptor.size, db) }
                if let ref = descriptor.annotations?[OCIAnnotation.refName] {
                    let parts = ref.split(separator: ":", maxSplits: 1).map(String.init)
                    try db.execute(sql: "INSERT OR REPLACE INTO tags (ref, name, version, digest) VALUES (?, ?, ?, ?)",
                                   arguments: [ref, parts[0], parts.count > 1 ? parts[1] : "", descriptor.digest.description])
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('index_digest', ?)", arguments: [indexDigest.description])
        }
    }

    private func insert(_ facts: ManifestFacts, size: Int, _ db: Database) throws {
        let m = facts.manifest
        let notes = m.annotations ?? [:]
        let total = size + m.config.size + m.layers.reduce(0) { $0 + $1.size }
        try db.execute(sql: """
            INSERT INTO manifests (digest, artifact_type, config_digest, name, version, kind, stored_parameters, total_bytes, base_digest, created)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [facts.digest.description, m.artifactType ?? "", m.config.digest.description, facts.learngene?.name,
                             facts.learngene?.version, facts.learngene?.kind.rawValue, facts.learngene?.parameters?.stored, total,
                             notes[OCIAnnotation.baseDigest], notes[OCIAnnotation.created]])
        let blobSQL = "INSERT OR IGNORE INTO blobs (digest, size, media_type) VALUES (?, ?, ?)"
        try db.execute(sql: blobSQL, arguments: [facts.digest.description, size, OCIMediaType.imageManifest])
        try db.execute(sql: blobSQL, arguments: [m.config.digest.description, m.config.size, m.config.mediaType])
        for (position, layer) in m.layers.enumerated() {
            try db.execute(sql: blobSQL, arguments: [layer.digest.description, layer.size, layer.mediaType])
            try db.execute(sql: "INSERT INTO manifest_layers (manifest_digest, position, blob_digest, role, layer_index) VALUES (?, ?, ?, ?, ?)",
                           arguments: [facts.digest.description, position, layer.digest.description, layer.annotations?[OCIAnnotation.role],
                                       layer.annotations?[OCIAnnotation.layerIndex].flatMap { Int($0) }])
        }
        if let base = notes[OCIAnnotation.baseDigest], let depth = notes[OCIAnnotation.materializationDepth].flatMap({ Int($0) }),
           let strategy = notes[OCIAnnotation.materializationStrategy] {
            try db.execute(sql: """
                INSERT INTO materializations (des_net_digest, learngene_digest, depth, strategy, layer_order, seed, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [facts.digest.description, base, depth, strategy, notes[OCIAnnotation.materializationOrder],
                                 notes[OCIAnnotation.materializationSeed].flatMap { Int($0) }, notes[OCIAnnotation.created]])
        }
    }
}
