#if canImport(Glibc)
    import Glibc
#endif

/// A file could not be opened, read, written, synced or renamed (an I/O failure, exit 74), or the path names
/// something lgreg refuses to read or replace (a FIFO, a device, a folder holding other files: bad input,
/// exit 64). The message names the file and the reason.
public struct FileSystemError: Error, Equatable, CustomStringConvertible {
    /// Whether the file system failed or the path names the wrong kind of file.
    public enum Kind: Sendable {
        /// A call failed (no space, no permission, no such file, a read error).
        case io
        /// The path exists but is not what lgreg reads or replaces there: a FIFO, device, socket, folder or
        /// symbolic link where a regular file belongs, or a folder holding files lgreg did not write.
        case refused
    }

    /// The file or folder.
    public var path: String
    /// What went wrong (`cannot write: No space left on device`).
    public var reason: String
    /// The `errno` of the failed call, when one failed.
    public var code: Int32?
    /// Which of the two it is.
    public var kind: Kind

    public init(path: String, reason: String, code: Int32? = nil, kind: Kind = .io) {
        self.path = path
        self.reason = reason
        self.code = code
        self.kind = kind
    }

    /// `cannot <operation>: <strerror(errno)>`, from the `errno` a failed call just left.
    public init(path: String, operation: String) {
        let code = errno
        self.init(path: path, reason: "cannot \(operation): \(String(cString: strerror(code)))", code: code)
    }

    public var description: String { "\(Quoted.path(path)): \(reason)" }
}

/// Quoting of names that come from untrusted input (entry names, tags, paths) in messages: at most
/// `limit` characters, the rest replaced by an ellipsis, so a hostile 1 MB name cannot flood a terminal or log.
public enum Quoted {
    /// Characters of a hostile name a message shows.
    public static let limit = 200

    /// `text`, cut to `limit` characters with `…` when longer, control characters escaped.
    public static func name(_ text: String, limit: Int = Quoted.limit) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return out + "…" }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    /// A path, cut the same way.
    public static func path(_ text: String) -> String { name(text) }
}
