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
/// let store = try LearngeneStore(root: LearngeneStore.defaultRoot(), mode: .create)
/// let published = try store.publish(archive: URL(fileURLWithPath: "aux-b.lgz"))
/// let aux = try store.resolve("aux-b:0.1.0")       // or "aux-b", or a digest prefix
/// let layer0 = try aux.layers[0].open()             // SafeTensorsFile mapped from the blob, its digest checked
/// ```
///
/// Writes are ordered blobs → config blob → manifest blob → `index.json` → database, each blob fsynced and
/// renamed into place. The rename of `index.json` is the commit point: a crash before it leaves nothing visible,
/// after it the whole entry; the database is a cache behind it, rebuilt whenever it lags. Writers hold a shared
/// lock and gc and fsck an exclusive one; gc also spares blobs younger than its grace period. The operations
/// live in files named for them: publishing, resolving, tagging, derived artifacts, maintenance.
public final class LearngeneStore: @unchecked Sendable {
    /// What a caller needs of the store.
    public enum OpenMode: Sendable {
        /// Read only: nothing is created or written (a read-only or full filesystem is fine); the index database
        /// is used when it is up to date, else built in memory.
        case read
        /// Read and write a store that exists.
        case write
        /// Read and write, creating the store first when the folder does not exist or is empty.
        case create
    }

    /// Where the files are.
    public let layout: StoreLayout
    /// How the store was opened.
    public let mode: OpenMode
    /// True when this open created the store.
    public let created: Bool
    /// Where warnings go (a database cache that could not be written after a commit); stderr by default.
    public var warn: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }

    private let databaseLock = NSLock()
    private var openedDatabase: IndexDatabase?

    /// Opens the store at `root` as `mode` says.
    /// - Throws: `StoreError.noStore` when there is none and `mode` is not `.create`; `.notAStore` when `root`
    ///   is a file or a folder that holds something else; `.io` when the store cannot be created.
    public init(root: URL, mode: OpenMode) throws {
        layout = StoreLayout(root: root)
        self.mode = mode
        switch layout.state() {
        case .store: created = false
        case .absent, .empty:
            guard mode == .create else { throw StoreError.noStore(root: layout.root.path) }
            created = try layout.create()
        case .other(let reason): throw StoreError.notAStore(root: layout.root.path, reason: reason)
        }
        try layout.check()
    }

    /// The SQL of the index database's schema (`Schemas/index.sql`).
    public static var indexSchemaSQL: String { IndexDatabase.migrations.map(\.sql).joined() }

    /// `$LGREG_HOME`, else `$XDG_DATA_HOME/lgreg`, else `~/.local/share/lgreg`.
    public static func defaultRoot() -> URL { StoreLayout.defaultRoot() }

    // MARK: Index

    /// Reads `index.json` and its digest.
    /// - Throws: `StoreError.corruptIndex` when it is missing, empty or not an image index.
    func readIndex() throws -> (ImageIndex, Digest) {
        let file = layout.indexJSON.path
        guard let data = try layout.readFileIfPresent(layout.indexJSON) else {
            throw StoreError.corruptIndex(file: file, reason: "is missing")
        }
        guard !data.isEmpty else { throw StoreError.corruptIndex(file: file, reason: "is empty (0 bytes)") }
        do {
            let index = try StrictJSONDecoder().decode(ImageIndex.self, from: data)
            guard index.schemaVersion == 2 else {
                throw StoreError.corruptIndex(file: file, reason: "has schemaVersion \(index.schemaVersion), not 2")
            }
            return (index, Digest.of(data))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.corruptIndex(
                file: file, reason: "is not a valid OCI image index (\(String(describing: error).prefix(200)))")
        }
    }

    /// Rewrites `index.json` under the index lock: `change` edits the current index. The rename is the commit.
    func updateIndex<T>(_ change: (inout ImageIndex) throws -> T) throws -> T {
        let lock = try FileLock(layout.indexLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var (index, _) = try readIndex()
        let result = try change(&index)
        try layout.writeFileAtomically(try OCIJSON.encode(index), to: layout.indexJSON)
        return result
    }

    /// Takes the store lock for a write (shared; exclusive for gc and fsck) and removes what writers that are
    /// gone left in `.lgreg/tmp`.
    func lockForWriting(exclusive: Bool, sweepStaging: Bool = true) throws -> FileLock {
        guard mode != .read else { throw StoreError.openedForReading(root: layout.root.path) }
        let lock = try FileLock(layout.writerLock, exclusive: exclusive)
        if sweepStaging { _ = layout.removeAbandonedStaging() }
        return lock
    }

    /// The OCI manifest stored as blob `digest`, its bytes verified.
    public func imageManifest(_ digest: Digest) throws -> ImageManifest {
        try OCIJSON.decode(ImageManifest.self, from: try layout.readBlob(digest), file: layout.blob(digest).path)
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    // MARK: Database

    /// The index database, opened on first use and brought up to date with `index.json`.
    func database() throws -> IndexDatabase {
        databaseLock.lock()
        defer { databaseLock.unlock() }
        if let openedDatabase { return openedDatabase }
        let opened = try openDatabase()
        openedDatabase = opened
        return opened
    }

    private func openDatabase() throws -> IndexDatabase {
        let (_, indexDigest) = try readIndex()
        if mode == .read {
            if let onDisk = IndexDatabase.openExisting(layout.database), onDisk.isBuilt(from: indexDigest) {
                return onDisk
            }
            return try databaseInMemory()
        }
        do {
            let onDisk = try openDatabaseFile()
            try onDisk.sync(force: false, load: readIndex, facts: facts)
            return onDisk
        } catch let error as StoreError {
            guard case .io = error else { throw error }
            warn("\(error.description); the index is built in memory for this run")
            return try databaseInMemory()
        }
    }

    /// A database in memory, built from the layout.
    private func databaseInMemory() throws -> IndexDatabase {
        let memory = try IndexDatabase.inMemory()
        try memory.sync(force: true, load: readIndex, facts: facts)
        return memory
    }

    /// Opens `index.db` under the index lock (processes opening a new store at once take turns, so none sees
    /// another's half-made database); a file SQLite reports corrupt is set aside and rebuilt.
    private func openDatabaseFile() throws -> IndexDatabase {
        let lock = try FileLock(layout.indexLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        do {
            return try IndexDatabase.openForWriting(layout.database)
        } catch is IndexDatabase.Unreadable {
            // Any other failure (a busy or read-only file) is reported, never answered by moving the file away.
            let stamp = Int(Date().timeIntervalSince1970)
            for suffix in ["", "-wal", "-shm"] {
                rename(
                    layout.database.path + suffix,
                    layout.quarantineDirectory.appendingPathComponent("index.db\(suffix).\(stamp)").path)
            }
            return try IndexDatabase.openForWriting(layout.database)
        }
    }

    /// Reads the cache; a value in it that does not decode (a damaged cache) rebuilds it once and reads again.
    func readCache<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database().read(body) } catch let error as StoreError {
            throw error
        } catch {
            try rebuildCache()
            return try database().read(body)
        }
    }

    /// Rebuilds the derived tables from the layout (in memory when the file cannot be written).
    func rebuildCache() throws {
        do { try database().sync(force: true, load: readIndex, facts: facts) } catch let error as StoreError {
            guard case .io = error else { throw error }
            let memory = try databaseInMemory()
            databaseLock.lock()
            openedDatabase = memory
            databaseLock.unlock()
        }
    }

    /// After a commit (the `index.json` rename) brings the database up to date. A failure is a warning, not an
    /// error: the write has happened, and the next open rebuilds the cache.
    func syncAfterCommit() {
        do { try database().sync(force: false, load: readIndex, facts: facts) } catch {
            warn("the index database was not updated (\(error)); the next command rebuilds it")
        }
    }

    /// A manifest's facts for the database, or what is damaged about it.
    func facts(_ digest: Digest) -> IndexDatabase.ManifestFacts {
        let manifest: ImageManifest
        do { manifest = try imageManifest(digest) } catch {
            return .init(digest: digest, manifest: nil, learngene: nil, damage: "manifest blob: \(error)")
        }
        guard manifest.artifactType == OCIMediaType.learngene else {
            return .init(digest: digest, manifest: manifest, learngene: nil, damage: nil)
        }
        do {
            let config = manifest.config.digest
            let learngene = try LearngeneManifest.decode(try layout.readBlob(config), path: layout.blob(config).path)
            return .init(digest: digest, manifest: manifest, learngene: learngene, damage: nil)
        } catch {
            return .init(digest: digest, manifest: manifest, learngene: nil, damage: "config blob: \(error)")
        }
    }
}
