import Foundation
import LgregCore

/// What a command-line reference names, read by one grammar for every command (README's "References"):
///
/// 1. `oci:DIR[:TAG|@sha256:HEX]`: an OCI image layout folder;
/// 2. a path that starts with `./`, `../`, `/` or `~`: a file or folder;
/// 3. `HOST[:PORT]/REPO[:TAG|@sha256:HEX]`: a registry, when the part before the first `/` holds a `.` or a `:` or
///    is `localhost` (Docker's rule);
/// 4. a path ending in `.lgz`, `.safetensors` or `.pth`: a file;
/// 5. `NAME[:VERSION]`, `sha256:HEX` or a hex prefix of at least 4 digits: a store entry, looked up in the store
///    before a file or folder of the same name in the working directory;
/// 6. any other existing path: a file or folder.
///
/// Anything else names nothing, and the error says which readings were tried.
public enum ModelReference: Equatable, Sendable, CustomStringConvertible {
    /// An OCI image layout folder, and the tag or digest named in it.
    case layout(folder: String, tag: String?, digest: Digest?)
    /// A reference into an OCI registry, as given (`RegistryReference` in LgregRemote parses its parts).
    case registry(String)
    /// A file or folder on disk (`~` expanded).
    case file(String)
    /// A stored entry (a learngene, Des-Net or tuned Des-Net); `orPath` when a file or folder of the same name exists
    /// too, which is read only when the store has no such entry.
    case entry(String, orPath: Bool)

    /// The suffixes that make a text a file path whatever else it looks like.
    public static let fileSuffixes = [".lgz", ".safetensors", ".pth"]

    /// Reads `text` by the grammar above.
    /// - Parameter exists: whether a path exists (the file system, unless a test says otherwise).
    /// - Throws: `ReferenceError.matchesNothing` naming the readings tried.
    public init(parsing text: String, exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws
    {
        guard !text.isEmpty else {
            throw ReferenceError.matchesNothing(text, tried: ["an empty reference names nothing"])
        }
        if text.hasPrefix("oci:") {
            self = try Self.layout(String(text.dropFirst(4)), text: text)
            return
        }
        if ["./", "../", "/", "~"].contains(where: text.hasPrefix) || text == "." || text == ".." {
            self = .file(text.hasPrefix("~") ? NSString(string: text).expandingTildeInPath : text)
            return
        }
        if Self.hasRegistryHost(text) {
            self = .registry(text)
            return
        }
        if Self.fileSuffixes.contains(where: text.hasSuffix) {
            self = .file(text)
            return
        }
        if Self.isEntry(text) {
            self = .entry(text, orPath: exists(text))
            return
        }
        if exists(text) {
            self = .file(text)
            return
        }
        throw ReferenceError.matchesNothing(text, tried: Self.readingsTried(text))
    }

    /// `text` as a store entry, for the commands that take nothing else (show, tag, rm, export, push's source).
    /// - Throws: `ReferenceError` for a text that reads otherwise or names nothing.
    public static func entry(_ text: String) throws -> String {
        let reference = try ModelReference(parsing: text)
        guard case .entry(let name, _) = reference else {
            throw ReferenceError.notTaken(text, reading: reference.reading, takes: ReferenceReading.entry.rawValue)
        }
        return name
    }

    /// Which reading this is, in words.
    public var reading: ReferenceReading {
        switch self {
        case .layout: return .layout
        case .registry: return .registry
        case .file: return .file
        case .entry: return .entry
        }
    }

    public var description: String {
        switch self {
        case .layout(let folder, let tag, let digest):
            return "oci:\(folder)" + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
        case .registry(let text), .file(let text), .entry(let text, _): return text
        }
    }

    /// Whether `text` is a store entry by its spelling: `NAME[:VERSION]`, `sha256:HEX` or a hex prefix.
    public static func isEntry(_ text: String) -> Bool {
        if text.hasPrefix("sha256:") { return isHex(text.dropFirst(7)) && text.count >= 11 }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard isName(parts[0]) else { return false }
        return parts.count == 1 || isVersion(parts[1])
    }

    /// A learngene or entry name: 1 to 128 of `a-z 0-9 . _ -`, starting with a letter or digit.
    public static func isName<S: StringProtocol>(_ text: S) -> Bool {
        guard (1...128).contains(text.utf8.count), let first = text.utf8.first, isLowerAlphanumeric(first) else {
            return false
        }
        return text.utf8.allSatisfy {
            isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// A version (an OCI tag): 1 to 128 of `A-Z a-z 0-9 . _ -`, starting with a letter, digit or `_`.
    public static func isVersion<S: StringProtocol>(_ text: S) -> Bool {
        guard (1...128).contains(text.utf8.count), let first = text.utf8.first,
            isAlphanumeric(first) || first == UInt8(ascii: "_")
        else { return false }
        return text.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    // MARK: Parts

    /// `DIR[:TAG|@sha256:HEX]` after `oci:` (skopeo's syntax: the folder's path holds no colon).
    private static func layout(_ rest: String, text: String) throws -> ModelReference {
        var folder = rest
        var tag: String?
        var digest: Digest?
        if let at = rest.range(of: "@sha256:") {
            guard let parsed = Digest(String(rest[rest.index(after: at.lowerBound)...])) else {
                throw ReferenceError.malformed(
                    text, reading: .layout, reason: "the digest after '@' must be sha256: and 64 lowercase hex digits")
            }
            folder = String(rest[..<at.lowerBound])
            digest = parsed
        } else if let colon = rest.firstIndex(of: ":") {
            folder = String(rest[..<colon])
            tag = String(rest[rest.index(after: colon)...])
        }
        guard !folder.isEmpty else {
            throw ReferenceError.malformed(text, reading: .layout, reason: "oci: needs a folder, oci:DIR[:TAG]")
        }
        return .layout(folder: NSString(string: folder).expandingTildeInPath, tag: tag, digest: digest)
    }

    /// Whether the part of `text` before its first `/` is a registry host by Docker's rule.
    private static func hasRegistryHost(_ text: String) -> Bool {
        guard let slash = text.firstIndex(of: "/") else { return false }
        let host = text[..<slash]
        return host.contains(".") || host.contains(":") || host == "localhost"
    }

    /// Why each reading failed, for a text that matched none.
    private static func readingsTried(_ text: String) -> [String] {
        var tried = ["not oci:DIR (an OCI layout folder)"]
        if let slash = text.firstIndex(of: "/") {
            tried.append(
                "not a registry reference (HOST[:PORT]/REPO needs a '.' or ':' in its host, or localhost; '\(text[..<slash].prefix(100))' has none)"
            )
        } else {
            tried.append("not a registry reference (HOST[:PORT]/REPO)")
        }
        tried.append("no file or folder of that name")
        tried.append("not a store entry (NAME[:VERSION] of a-z, 0-9, '.', '_', '-'; sha256:HEX; or a digest prefix)")
        return tried
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

/// The four readings of a reference, as commands name what they take.
public enum ReferenceReading: String, Sendable, CaseIterable {
    case layout = "an OCI layout folder (oci:DIR)"
    case registry = "a registry reference (HOST[:PORT]/REPO[:TAG|@DIGEST])"
    case file = "a file or folder"
    case entry = "a store entry (NAME[:VERSION] or a digest)"
}

/// A reference that names nothing, or names something a command does not take: one message and one exit code
/// (64) from every command.
public enum ReferenceError: Error, Equatable, CustomStringConvertible {
    /// No reading fits, or the store entry it spells is not there and no file has its name.
    case matchesNothing(String, tried: [String])
    /// It reads one way, but its parts are wrong.
    case malformed(String, reading: ReferenceReading, reason: String)
    /// It reads as something the command does not take (`takes` says what it does).
    case notTaken(String, reading: ReferenceReading, takes: String)

    public var description: String {
        switch self {
        case .matchesNothing(let text, let tried):
            return "'\(Self.quoted(text))' names nothing lgreg can read: \(tried.joined(separator: "; "))"
        case .malformed(let text, let reading, let reason):
            return "'\(Self.quoted(text))' reads as \(reading.rawValue), but \(reason)"
        case .notTaken(let text, let reading, let takes):
            return "'\(Self.quoted(text))' reads as \(reading.rawValue), but this command takes \(takes)"
        }
    }

    /// `text` cut to 200 characters with control characters escaped, safe to print.
    public static func quoted(_ text: String) -> String {
        String(
            text.prefix(200).unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }.joined())
    }
}
