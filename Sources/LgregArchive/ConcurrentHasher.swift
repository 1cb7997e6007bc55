import Crypto
import Dispatch

/// SHA-256 computed on a second thread while the caller goes on decompressing and writing.
///
/// `update` copies each chunk into one of four pooled buffers and queues it for hashing; when all four are
/// queued it waits for the oldest to finish. On two cores this overlaps hashing with decompression and the
/// write to the page cache, which is what lets publish approach the speed of a plain copy.
final class ConcurrentHasher: @unchecked Sendable {
    /// Bytes per pooled buffer; larger chunks are split.
    static let chunkSize = 256 << 10
    private static let poolSize = 4
    private var hasher = SHA256()
    private let queue = DispatchQueue(label: "lgreg.sha256")
    private let free = DispatchSemaphore(value: ConcurrentHasher.poolSize)
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var next = 0

    init() {
        buffers = (0..<Self.poolSize).map { _ in .allocate(byteCount: Self.chunkSize, alignment: 64) }
    }

    deinit {
        queue.sync {}
        for buffer in buffers { buffer.deallocate() }
    }

    /// Queues `bytes` for hashing; returns once they are copied.
    func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.chunkSize, bytes.count - offset)
            free.wait()
            // The queue is FIFO, so once a slot is free the oldest buffer, `next`, is the one done with.
            let slot = next
            next = (next + 1) % Self.poolSize
            buffers[slot].copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            queue.async {
                self.hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: self.buffers[slot][0..<count]))
                self.free.signal()
            }
            offset += count
        }
    }

    /// The digest of everything queued, once it is all hashed.
    func finalize() -> Digest { queue.sync { Digest(hasher.finalize()) } }
}
