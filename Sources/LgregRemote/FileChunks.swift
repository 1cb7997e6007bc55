import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The bytes `offset..<offset+length` of a file as an async sequence of 1 MiB buffers: an upload body that
/// never holds a whole blob in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int
    let length: Int

    final class AsyncIterator: AsyncIteratorProtocol {
        private let fd: Int32
        private let path: String
        private var position: Int
        private let end: Int

        init(path: String, offset: Int, length: Int) {
            self.path = path
            fd = open(path, O_RDONLY | O_CLOEXEC)
            position = offset
            end = offset + length
        }

        deinit { if fd >= 0 { close(fd) } }

        func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            guard fd >= 0 else {
                throw RemoteError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
            }
            let count = Swift.min(1 << 20, end - position)
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            var read = 0
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                read = pread(fd, pointer.baseAddress, count, off_t(position))
                return Swift.max(read, 0)
            }
            guard read > 0 else {
                throw RemoteError.io(
                    path: path,
                    reason: "cannot read: \(read < 0 ? String(cString: strerror(errno)) : "file shorter than expected")"
                )
            }
            position += read
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, offset: offset, length: length) }
}
