import Dispatch
import Foundation
import LgregCore

/// Writes a stream to a file on the caller's thread and hashes it on a second thread.
///
/// `append` writes each chunk to the file, copies it into one of four pooled buffers and queues it for SHA-256;
/// when all four buffers are queued, `append` waits for the oldest. SHA-256 is the larger half of the work (about
/// 40% of publish's CPU time, against decompression, the pooled copy and the page-cache copy together), so it
/// gets a thread of its own and everything else stays on the caller's: on two cores the two halves take about
/// as long, where hashing and writing on one thread made that thread the bottleneck.
///
/// Lifetime: the queued work holds only the `Pipeline` (hasher and buffers), never the writer, so the writer is
/// always released on the caller's thread, and its `deinit` can wait for the queue. (When the blocks held the
/// writer, an archive truncated mid-entry dropped it with work still queued, the last block released it on the
/// queue, and `deinit`'s `queue.sync` on that same queue trapped.)
final class HashingWriter {
    /// Bytes per pooled buffer; larger chunks are split.
    static let chunkSize = 256 << 10
    private static let poolSize = 4
    private let file: DurableFileWriter
    private let pipeline = Pipeline()
    private let queue = DispatchQueue(label: "lgreg.hashing-writer")
    private var next = 0

    /// What the queued work touches; freed by whichever of the writer and the last block lets go of it last.
    private final class Pipeline: @unchecked Sendable {
        var hasher = Digest.Hasher()
        let free = DispatchSemaphore(value: HashingWriter.poolSize)
        let buffers: [UnsafeMutableRawBufferPointer] = (0..<HashingWriter.poolSize).map { _ in
            .allocate(byteCount: HashingWriter.chunkSize, alignment: 64)
        }

        deinit { for buffer in buffers { buffer.deallocate() } }
    }

    /// Writes to `file`, which `finish()` closes without an fsync (the caller schedules one).
    init(file: DurableFileWriter) {
        self.file = file
    }

    /// Waits for queued work, so nothing is left hashing after the writer is gone.
    deinit { queue.sync {} }

    /// Writes `bytes` and queues them for hashing; returns once they are written and copied.
    /// - Throws: `FileSystemError` when the write fails.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        let pipeline = self.pipeline
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.chunkSize, bytes.count - offset)
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
            try file.write(chunk)
            pipeline.free.wait()
            // The queue is FIFO, so once a slot is free the oldest buffer, `next`, is the one done with.
            let slot = next
            next = (next + 1) % Self.poolSize
            pipeline.buffers[slot].copyMemory(from: chunk)
            queue.async {
                pipeline.hasher.update(UnsafeRawBufferPointer(rebasing: pipeline.buffers[slot][0..<count]))
                pipeline.free.signal()
            }
            offset += count
        }
    }

    /// Waits for every queued chunk, closes the file (not fsynced: see `BackgroundSync`) and returns the digest
    /// of what was written.
    /// - Throws: `FileSystemError` when the file cannot be closed.
    func finish() throws -> Digest {
        let pipeline = self.pipeline
        let digest = queue.sync { pipeline.hasher.finalize() }
        try file.finish(sync: false)
        return digest
    }
}
