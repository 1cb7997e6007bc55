import Crypto
import Dispatch
import Foundation

/// Hashes and writes a stream on a second thread while the caller goes on decompressing.
///
/// `append` copies each chunk into one of four pooled buffers and queues it; a serial queue feeds it to SHA-256
/// and then to the file. When all four buffers are queued, `append` waits for the oldest. On two cores the
/// decompression runs on one and hashing plus the page-cache copy on the other.
final class HashingWriter: @unchecked Sendable {
    /// Bytes per pooled buffer; larger chunks are split.
    static let chunkSize = 256 << 10
    private static let poolSize = 4
    private var hasher = SHA256()
    private let file: DurableFileWriter
    private var failure: Error?
    private let queue = DispatchQueue(label: "lgreg.hashing-writer")
    private let free = DispatchSemaphore(value: HashingWriter.poolSize)
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var next = 0

    /// Writes to `file`, which `finish()` closes without an fsync (the caller schedules one).
    init(file: DurableFileWriter) {
        self.file = file
        buffers = (0..<Self.poolSize).map { _ in .allocate(byteCount: Self.chunkSize, alignment: 64) }
    }

    deinit {
        queue.sync {}
        for buffer in buffers { buffer.deallocate() }
    }

    /// Queues `bytes`; returns once they are copied.
    func append(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.chunkSize, bytes.count - offset)
            free.wait()
            // The queue is FIFO, so once a slot is free the oldest buffer, `next`, is the one done with.
            let slot = next
            next = (next + 1) % Self.poolSize
            buffers[slot].copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            queue.async {
                let chunk = UnsafeRawBufferPointer(rebasing: self.buffers[slot][0..<count])
                self.hasher.update(bufferPointer: chunk)
                if self.failure == nil {
                    do { try self.file.write(chunk) } catch { self.failure = error }
                }
                self.free.signal()
            }
            offset += count
        }
    }

    /// Waits for every queued chunk, closes the file (not fsynced: see `BackgroundSync`) and returns the digest
    /// of what was written.
    /// - Throws: the first write error.
    func finish() throws -> Digest {
        let (digest, failure) = queue.sync { (Digest(hasher.finalize()), self.failure) }
        if let failure { throw failure }
        try file.finish(sync: false)
        return digest
    }
}
