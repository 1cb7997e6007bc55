import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A validated SHA-256 content digest, written `sha256:<64 lowercase hex>` as OCI does.
///
/// ```swift
/// let digest = try Digest(parsing: "sha256:9f86d0…")
/// digest.hex          // "9f86d0…"
/// Digest.of(data)     // hash of bytes in memory
/// ```
public struct Digest: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The 64 lowercase hexadecimal digits.
    public let hex: String

    /// Parses `sha256:<64 lowercase hex>`; returns nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256:") else { return nil }
        let hex = String(text.dropFirst(7))
        guard Self.isHex(hex, count: 64) else { return nil }
        self.hex = hex
    }

    /// Wraps 64 lowercase hex digits; nil when they are not.
    public init?(hex: String) {
        guard Self.isHex(hex, count: 64) else { return nil }
        self.hex = hex
    }

    /// Wraps a finished hash.
    public init(_ hash: SHA256.Digest) {
        self.hex = hash.map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of `data`.
    public static func of(_ data: Data) -> Digest { Digest(SHA256.hash(data: data)) }

    /// A SHA-256 computed over bytes that arrive in pieces.
    public struct Hasher {
        private var state = SHA256()

        public init() {}

        /// Adds `bytes`.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }

        /// The digest of everything added.
        public func finalize() -> Digest { Digest(state.finalize()) }
    }

    /// The SHA-256 and size of the file at `url`, streamed in 1 MiB reads.
    public static func ofFile(_ url: URL) throws -> (digest: Digest, size: Int) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: url.path, operation: "open") }
        defer { close(fd) }
        var hasher = Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw FileSystemError(path: url.path, operation: "read") }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += n
        }
        return (hasher.finalize(), size)
    }

    /// Whether `text` is `count` lowercase hex digits (`count` nil: any positive number).
    public static func isHex(_ text: String, count: Int? = nil) -> Bool {
        guard !text.isEmpty, count.map({ text.utf8.count == $0 }) ?? true else { return false }
        return text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits, as listings print it.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let digest = Digest(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a digest of the form sha256:<64 lowercase hex>")
        }
        self = digest
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
