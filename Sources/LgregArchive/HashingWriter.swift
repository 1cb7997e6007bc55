import Dispatch
import Foundation
import LgregCore

/// Hashes and writes a stream on a second thread while the caller goes on decompressing.
///
/// `append` copies each chunk into one of four pooled buffers and queues it; a serial queue feeds it to SHA-256
/// and then to the file. When all four buffers are queued, `append` waits for the oldest. On two cores the
/// decompression runs on one and hashing plus the page-cache copy on the other.
///
/// Lifetime: the queued work holds only the `Pipeline` (hasher, file, buffers), never the writer, so the writer
/// is always released on the caller's thread, and its `deinit` can wait for the queue. (When the blocks held the
/// writer, an archive truncated mid-entry dropped it with work still queued, the last block released it on the
/// queue, and `deinit`'s `queue.sync` on that same queue trapped.)
final class HashingWriter {
    /// Bytes per pooled buffer; larger chunks are split.
    static let chunkSize = 256 << 10
    private static let poolSize = 4
    private let pipeline: Pipeline
    private let queue = DispatchQueue(label: "lgreg.hashing-writer")
    private var next = 0

    /// What the queued work touches; freed by whichever of the writer and the last block lets go of it last.
    private final class Pipeline: @unchecked Sendable {
        var hasher = Digest.Hasher()
        let file: DurableFileWriter
        var failure: Error?
        let free = DispatchSemaphore(value: HashingWriter.poolSize)
        let buffers: [UnsafeMutableRawBufferPointer]

        init(file: DurableFileWriter) {
            self.file = file
            buffers = (0..<HashingWriter.poolSize).map { _ in .allocate(byteCount: HashingWriter.chunkSize, alignment: 64) }
        }

        deinit { for buffer in buffers { buffer.deallocate() } }
    }

    /// Writes to `file`, which `finish()` closes without an fsync (the caller schedules one).
    init(file: DurableFileWriter) {
        pipeline = Pipeline(file: file)
    }

    /// Waits for queued work, so nothing writes to the file after the writer is gone.
    deinit { queue.sync {} }

    /// Queues `bytes`; returns once they are copied.
    func append(_ bytes: UnsafeRawBufferPointer) {
        let pipeline = self.pipeline
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.chunkSize, bytes.count - offset)
            pipeline.free.wait()
            // The queue is FIFO, so once a slot is free the oldest buffer, `next`, is the one done with.
            let slot = next
            next = (next + 1) % Self.poolSize
            pipeline.buffers[slot].copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            queue.async {
                let chunk = UnsafeRawBufferPointer(rebasing: pipeline.buffers[slot][0..<count])
                pipeline.hasher.update(chunk)
                if pipeline.failure == nil {
                    do { try pipeline.file.write(chunk) } catch { pipeline.failure = error }
                }
                pipeline.free.signal()
            }
            offset += count
        }
    }

    /// Waits for every queued chunk, closes the file (not fsynced: see `BackgroundSync`) and returns the digest
    /// of what was written.
    /// - Throws: the first write error.
    func finish() throws -> Digest {
        let pipeline = self.pipeline
        let (digest, failure) = queue.sync { (pipeline.hasher.finalize(), pipeline.failure) }
        if let failure { throw failure }
        try pipeline.file.finish(sync: false)
        return digest
    }
}
