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
/// ROOT/.lgreg/tmp/               staging, each entry named after its process (`TemporaryName`)
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
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("lgreg")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/lgreg")
    }

    /// What is at the root.
    enum State: Equatable {
        /// A store (its `oci-layout` is there).
        case store
        /// Nothing.
        case absent
        /// An empty folder, or one holding only a store's first files (a creation cut short).
        case empty
        /// Something else, and why it is no store.
        case other(String)
    }

    /// Names a store being created can hold before its `oci-layout`, written last.
    private static let layoutNames: Set<String> = ["blobs", ".lgreg", "index.json"]

    func state() -> State {
        var status = stat()
        guard stat(root.path, &status) == 0 else {
            return errno == ENOENT ? .absent : .other("cannot be read: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { return .other("it is a file, not a folder") }
        if access(ociLayout.path, F_OK) == 0 { return .store }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            return .other("the folder cannot be listed")
        }
        // A creator may have finished between the check above and this listing.
        if names.contains(ociLayout.lastPathComponent) { return .store }
        let foreign = names.filter {
            !Self.layoutNames.contains($0) && !$0.hasPrefix(".oci-layout") && !$0.hasPrefix(".index.json")
        }
        return foreign.isEmpty
            ? .empty
            : .other(
                "the folder holds other files (\(foreign.sorted().prefix(3).joined(separator: ", "))) and no oci-layout; give a new or empty folder"
            )
    }

    /// Creates the store in a new or empty folder, under a lock on the folder so that processes creating it at
    /// once take turns. The layout is built in a hidden sibling folder and swapped in whole (`AtomicDirectory`),
    /// so a reader finds either no store or a complete one; where that cannot be done (the folder is a mount
    /// point, its parent is not writable, or a creation cut short left part of a layout) it is built in place,
    /// the `oci-layout` file last. Returns false when another process made it first.
    /// - Throws: `StoreError.notAStore` when the folder holds something else by then, `.io` when it cannot be made.
    func create() throws -> Bool {
        let fm = FileManager.default
        do { try fm.createDirectory(at: root, withIntermediateDirectories: true) } catch {
            throw StoreError.io(path: root.path, reason: "cannot create: \(error.localizedDescription)")
        }
        let folder = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw StoreError.io(path: root.path, doing: "cannot open", errno: errno) }
        defer { close(folder) }
        while flock(folder, LOCK_EX) != 0, errno == EINTR {}
        switch state() {
        case .store: return false
        case .other(let reason): throw StoreError.notAStore(root: root.path, reason: reason)
        case .absent, .empty: break
        }
        if (try? fm.contentsOfDirectory(atPath: root.path))?.isEmpty == true,
            (try? AtomicDirectory.replace(root, holding: [], fill: { try StoreLayout(root: $0).fillNewLayout() }))
                != nil
        {
            return true
        }
        try fillNewLayout()
        return true
    }

    /// Writes a new store's folders, an empty `index.json` and, last, `oci-layout`.
    private func fillNewLayout() throws {
        for dir in [blobsDirectory, tmpDirectory, quarantineDirectory] {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw StoreError.io(path: dir.path, reason: "cannot create: \(error.localizedDescription)")
            }
        }
        if !FileManager.default.fileExists(atPath: indexJSON.path) {
            try writeFileAtomically(try OCIJSON.encode(ImageIndex()), to: indexJSON)
        }
        try writeFileAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: ociLayout)
    }

    /// The file's bytes, or nil when it does not exist.
    /// - Throws: `StoreError.io` when it exists but cannot be read.
    func readFileIfPresent(_ url: URL) throws -> Data? {
        guard access(url.path, F_OK) == 0 else { return nil }
        do { return try Data(contentsOf: url) } catch {
            throw StoreError.io(path: url.path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
    }

    /// Checks that `root` holds an OCI image layout.
    func check() throws {
        guard let data = try? Data(contentsOf: ociLayout) else {
            throw StoreError.notAStore(root: root.path, reason: "no oci-layout file")
        }
        struct Layout: Decodable { var imageLayoutVersion: String }
        guard let layout = try? JSONDecoder().decode(Layout.self, from: data), layout.imageLayoutVersion == "1.0.0"
        else {
            throw StoreError.notAStore(root: root.path, reason: "oci-layout is not {\"imageLayoutVersion\": \"1.0.0\"}")
        }
    }

    /// A fresh temp file name in `.lgreg/tmp`, naming this process as its owner (`TemporaryName`).
    func temporaryFile(_ label: String) -> URL {
        tmpDirectory.appendingPathComponent(TemporaryName.make(for: label))
    }

    /// Removes the entries of `.lgreg/tmp` whose owner process is gone (a killed publish's staging); an entry
    /// whose owner lives stays. Returns how many went.
    func removeAbandonedStaging() -> Int { TemporaryName.removeAbandoned(in: tmpDirectory).count }

    /// Writes `data` to `url` through a fsynced temp file renamed into place, then fsyncs the folder.
    func writeFileAtomically(_ data: Data, to url: URL) throws {
        let staging = FileManager.default.fileExists(atPath: tmpDirectory.path) ? tmpDirectory : nil
        try wrap { try AtomicFileWriter.write(data, to: url, temporaryDirectory: staging) }
    }

    /// Writes bytes as a blob: hashed, fsynced, renamed to `blobs/sha256/<hex>`. Returns its descriptor.
    /// With `syncDirectory` false the caller fsyncs `blobs/sha256` itself before anything refers to the blob.
    func writeBlob(_ data: Data, mediaType: String, annotations: [String: String]? = nil, syncDirectory: Bool = true)
        throws -> Descriptor
    {
        var descriptor = try writeBlobs([(data, mediaType)], syncDirectory: syncDirectory)[0]
        descriptor.annotations = annotations
        return descriptor
    }

    /// Writes several blobs as `writeBlob` writes one, with their fsyncs in flight together (one journal commit
    /// can carry them all): each staged in `.lgreg/tmp`, all fsynced, then each renamed into `blobs/` in order,
    /// `adopted(i)` called after the i-th.
    func writeBlobs(
        _ blobs: [(data: Data, mediaType: String)], syncDirectory: Bool = true,
        adopted: (Int) -> Void = { _ in }
    ) throws -> [Descriptor] {
        let syncs = BackgroundSync()
        let staged = try blobs.map { blob in
            let temp = temporaryFile("blob")
            let writer = try wrap { try DurableFileWriter(url: temp) }
            try wrap {
                try blob.data.withUnsafeBytes { try writer.write($0) }
                try writer.finish(sync: false)
            }
            syncs.schedule(temp)
            return (
                url: temp,
                descriptor: Descriptor(mediaType: blob.mediaType, digest: Digest.of(blob.data), size: blob.data.count)
            )
        }
        try wrap { try syncs.wait() }
        for (index, file) in staged.enumerated() {
            try adopt(file.url, digest: file.descriptor.digest, size: file.descriptor.size, syncDirectory: false)
            adopted(index)
        }
        if syncDirectory { Self.syncDirectory(blobsDirectory) }
        return staged.map(\.descriptor)
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
            throw StoreError.io(path: target.path, doing: "cannot rename into place", errno: errno)
        }
        if syncDirectory { Self.syncDirectory(blobsDirectory) }
    }

    /// Whether blob `digest` is there with `size` bytes (its content is checked whenever it is read).
    func hasBlob(_ digest: Digest, size: Int) -> Bool {
        var status = stat()
        return stat(blob(digest).path, &status) == 0 && Int(status.st_size) == size
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
        guard let data = try readFileIfPresent(url) else { throw StoreError.missingBlob(digest) }
        let actual = Digest.of(data)
        guard actual == digest else {
            throw StoreError.digestMismatch(file: url.path, expected: digest, actual: actual)
        }
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
            if case .io(let path, let reason) = error { throw StoreError.io(path: path, reason: reason) }
            throw StoreError.io(path: root.path, reason: error.description)
        }
    }
}
