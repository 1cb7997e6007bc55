import Foundation
import LgregCore
import LgregStore

#if canImport(Glibc)
    import Glibc
#endif

/// A blob's partial-download file in `.lgreg/downloads`, held open under its lock: once its size and SHA-256
/// checked out, `adopt` moves it into `blobs/`; a refusal `discard`s it; dropped otherwise, it stays for the next
/// run to resume.
final class StagedDownload {
    let fd: Int32
    let file: URL
    let digest: Digest
    let size: Int
    /// Bytes this run fetched.
    var fetched = 0
    /// Whether this run continued what an earlier one left.
    var resumed = false
    private var isOpen = true

    init(fd: Int32, file: URL, digest: Digest, size: Int) {
        self.fd = fd
        self.file = file
        self.digest = digest
        self.size = size
    }

    deinit { release() }

    /// The file's bytes (a config, at most 4 MiB).
    func contents() throws -> Data {
        do { return try Data(contentsOf: file) } catch {
            throw RemoteError.io(path: file.path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
    }

    /// Moves the checked file into `blobs/`.
    func adopt(into store: LearngeneStore) throws {
        try store.adoptDownload(file, digest: digest, size: size)
        release()
    }

    /// Removes the file.
    func discard() {
        guard isOpen else { return }
        unlink(file.path)
        release()
    }

    /// Removes the file when nothing is in it.
    func discardIfEmpty() {
        if isOpen, lseek(fd, 0, SEEK_END) == 0 { discard() }
    }

    private func release() {
        guard isOpen else { return }
        isOpen = false
        close(fd)
    }
}

/// The blobs one pull staged: all adopted once the whole entry checked out, or all discarded on a refusal. Either
/// way `.lgreg/downloads` goes too when nothing else is in it, so it exists only while it holds partial downloads.
struct StagedDownloads {
    let store: LearngeneStore
    private var downloads: [StagedDownload] = []

    init(store: LearngeneStore) { self.store = store }

    mutating func add(_ download: StagedDownload?) {
        if let download { downloads.append(download) }
    }

    /// Moves every staged blob into `blobs/`.
    mutating func adoptAll() throws {
        for download in downloads { try download.adopt(into: store) }
        downloads = []
        rmdir(store.downloadsDirectory.path)
    }

    /// Removes every staged file.
    mutating func discardAll() {
        for download in downloads { download.discard() }
        downloads = []
        rmdir(store.downloadsDirectory.path)
    }
}
