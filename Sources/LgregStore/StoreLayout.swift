import Foundation
import LgregArchive
import LgregCore
#if canImport(Glibc)
import Glibc
#endif

/// The files of a store and the durable operations on them.
///
/// ```
/// ROOT/oci-layout                {"imageLayoutVersion": "1.0.0"}
/// ROOT/index.json                OCI image index: one descriptor per tag
/// ROOT/blobs/sha256/<hex>        manifests, config blobs, safetensors layer blobs
/// ROOT/.lgreg/index.db           SQLite index (derived; `fsck --rebuild-index` rebuilds it)
/// ROOT/.lgreg/lock               shared by writers, exclusive for gc
/// ROOT/.lgreg/index.lock         exclusive while index.json is rewritten
/// ROOT/.lgreg/tmp/               staging for blobs being written
/// ROOT/.lgreg/quarantine/        damaged blobs fsck moved aside
/// ```
///
/// Every write goes to a temp file in `.lgreg/tmp` (same filesystem), is hashed while written, fsynced,
/// checked, then renamed into place; the directory is fsynced after.
public struct StoreLayout: Sendable {
    /// The store's root folder.
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// `oci-layout`.
    public var ociLayout: URL { root.appendingPathComponent("oci-layout") }
    /// `index.json`, the tags.
    public var indexJSON: URL { root.appendingPathComponent("index.json") }
    /// `blobs/sha256`.
    public var blobsDirectory: URL { root.appendingPathComponent("blobs/sha256") }
    /// `.lgreg`, lgreg's private state.
    public var privateDirectory: URL { root.appendingPathComponent(".lgreg") }
    /// The SQLite index.
    public var database: URL { privateDirectory.appendingPathComponent("index.db") }
    /// Lock file: shared by writers, exclusive for gc and fsck.
    public var writerLock: URL { privateDirectory.appendingPathComponent("lock") }
    /// Lock file held while `index.json` is rewritten.
    public var indexLock: URL { privateDirectory.appendingPathComponent("index.lock") }
    /// Staging for blobs being written.
    public var tmpDirectory: URL { privateDirectory.appendingPathComponent("tmp") }
    /// Where fsck moves damaged files.
    public var quarantineDirectory: URL { privateDirectory.appendingPathComponent("quarantine") }

    /// The file holding blob `digest`.
    public func blob(_ digest: Digest) -> URL { blobsDirectory.appendingPathComponent(digest.hex) }

    /// The store's default root: `$LGREG_HOME`, else `$XDG_DATA_HOME/lgreg`, else `~/.local/share/lgreg`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["LGREG_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return URL(fileURLWithPath: data).appendingPathComponent("lgreg") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/lgreg")
    }

    /// Creates the layout's folders and files where missing (an existing layout is left as it is).
    func create() throws {
        let fm = FileManager.default
        for dir in [blobsDirectory, tmpDirectory, quarantineDirectory] {
            do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw StoreError.io(path: dir.path, reason: "cannot create: \(error.localizedDescription)")
            }
        }
        if !fm.fileExists(atPath: ociLayout.path) {
            try writeFileAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: ociLayout)
        }
        if !fm.fileExists(atPath: indexJSON.path) {
            try writeFileAtomically(try OCIJSON.encode(ImageIndex()), to: indexJSON)
        }
    }

    /// Checks that `root` holds an OCI image layout.
    func check() throws {
        guard let data = try? Data(contentsOf: ociLayout) else { throw StoreError.notAStore(root: root.path, reason: "no oci-layout file") }
        struct Layout: Decodable { var imageLayoutVersion: String }
        guard let layout = try? JSONDecoder().decode(Layout.self, from: data), layout.imageLayoutVersion == "1.0.0" else {
            throw StoreError.notAStore(root: root.path, reason: "oci-layout is not {\"imageLayoutVersion\": \"1.0.0\"}")
        }
    }

    /// A fresh temp file name in `.lgreg/tmp`.
    func temporaryFile(_ label: String) -> URL {
        tmpDirectory.appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString)")
    }

    /// Writes `data` to `url` through a fsynced temp file renamed into place, then fsyncs the folder.
    func writeFileAtomically(_ data: Data, to url: URL) throws {
        let staging = FileManager.default.fileExists(atPath: tmpDirectory.path) ? tmpDirectory : nil
        try wrap { try AtomicFileWriter.write(data, to: url, temporaryDirectory: staging) }
    }

    /// Writes bytes as a blob: hashed, fsynced, renamed to `blobs/sha256/<hex>`. Returns its descriptor.
    /// With `syncDirectory` false the caller fsyncs `blobs/sha256` itself before anything refers to the blob.
    func writeBlob(_ data: Data, mediaType: String, annotations: [String: String]? = nil, syncDirectory: Bool = true) throws -> Descriptor {
        let digest = Digest.of(data)
        let temp = temporaryFile("blob")
        let writer = try wrap { try DurableFileWriter(url: temp) }
        try wrap { try data.withUnsafeBytes { try writer.write($0) }; try writer.finish() }
        try adopt(temp, digest: digest, size: data.count, syncDirectory: syncDirectory)
        return Descriptor(mediaType: mediaType, digest: digest, size: data.count, annotations: annotations)
    }

    /// Moves a fsynced file whose digest and size the caller verified into `blobs/`; an existing blob with that
    /// digest counts as success (its time is refreshed so gc's grace period spares it, and the file is dropped).
    /// With `syncDirectory` false the caller fsyncs `blobs/sha256` itself before anything refers to the blob.
    func adopt(_ file: URL, digest: Digest, size: Int, syncDirectory: Bool = true) throws {
        var status = stat()
        guard stat(file.path, &status) == 0, Int(status.st_size) == size else {
            throw StoreError.io(path: file.path, reason: "staged file is missing or not \(size) bytes")
        }
        let target = blob(digest)
        if access(target.path, F_OK) == 0 {
            utimes(target.path, nil)
            unlink(file.path)
            return
        }
        guard rename(file.path, target.path) == 0 else {
            throw StoreError.io(path: target.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
        }
        if syncDirectory { Self.syncDirectory(blobsDirectory) }
    }

    /// Streams the blob's bytes through SHA-256.
    func hashBlob(_ digest: Digest) throws -> (digest: Digest, size: Int) {
        do { return try Digest.ofFile(blob(digest)) } catch let error as FileSystemError {
            throw StoreError.io(path: blob(digest).path, reason: error.reason)
        }
    }

    /// Reads a blob and checks its digest.
    func readBlob(_ digest: Digest) throws -> Data {
        let url = blob(digest)
        guard let data = try? Data(contentsOf: url) else { throw StoreError.missingBlob(digest) }
        let actual = Digest.of(data)
        guard actual == digest else { throw StoreError.digestMismatch(file: url.path, expected: digest, actual: actual) }
        return data
    }

    /// fsyncs a folder so a rename in it survives a power cut.
    static func syncDirectory(_ url: URL) {
        try? AtomicFileWriter.syncDirectory(url)
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FileSystemError {
            throw StoreError.io(path: error.path, reason: error.reason)
        } catch let error as ArchiveError {
            if case let .io(path, reason) = error { throw StoreError.io(path: path, reason: reason) }
            throw StoreError.io(path: root.path, reason: error.description)
        }
    }
}

/// An advisory `flock` on a file of the store, released when the value is dropped.
///
/// Locks are one line of defence: gc also spares blobs younger than a grace period, so a filesystem where
/// `flock` does nothing (some network mounts) still keeps in-flight blobs.
final class FileLock {
    private let fd: Int32

    /// Blocks until the lock is held: shared (publish, tag, write) or exclusive (gc, index.json rewrite).
    init(_ url: URL, exclusive: Bool) throws {
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: url.path, reason: "cannot open lock: \(String(cString: strerror(errno)))") }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                close(fd)
                throw StoreError.io(path: url.path, reason: "cannot lock: \(String(cString: strerror(errno)))")
            }
        }
    }

    deinit { close(fd) }
}

/// Test hook: with `LGREG_TEST_CRASH_AFTER=<step>` in the environment the process ends with `_exit(70)`
/// right after that step of a write, so tests can check that a crash at any point leaves the store consistent.
public enum CrashPoint: String, CaseIterable, Sendable {
    /// The archive is staged in `.lgreg/tmp`, nothing in `blobs/` yet.
    case staged
    /// The first layer blob is in place.
    case firstBlob = "first-blob"
    /// Every layer blob is in place.
    case blobs
    /// The config blob is in place.
    case config
    /// The manifest blob is in place, `index.json` not yet updated.
    case manifest
    /// `index.json` is updated, the database not yet.
    case index
    /// The database is updated.
    case database

    func reached() {
        if ProcessInfo.processInfo.environment["LGREG_TEST_CRASH_AFTER"] == rawValue { _exit(70) }
    }
}
