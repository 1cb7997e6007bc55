import Foundation
import LgregCore

/// `HOST[:PORT]/REPO[:TAG|@sha256:HEX]`, or `HOST[:PORT]/` for the registry itself (its catalog).
public struct RegistryReference: Equatable, Sendable, CustomStringConvertible {
    /// `host` or `host:port`, as the Docker config keys it.
    public var registry: String
    /// The repository path (`team/aux-b`); empty for the registry itself.
    public var repository: String
    /// A tag, when given.
    public var tag: String?
    /// A digest, when given (it wins over the tag).
    public var digest: Digest?

    /// Parses `text`.
    /// - Throws: `RemoteError.invalidReference` saying what is wrong.
    public init(_ text: String) throws {
        guard text.count <= 1024 else {
            throw RemoteError.invalidReference(text, reason: "longer than 1024 characters")
        }
        guard let slash = text.firstIndex(of: "/") else {
            throw RemoteError.invalidReference(text, reason: "expected HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST]")
        }
        registry = String(text[..<slash])
        var rest = String(text[text.index(after: slash)...])
        guard Self.isHost(registry) else {
            throw RemoteError.invalidReference(
                text, reason: "'\(RemoteError.quoted(registry))' is not HOST or HOST:PORT")
        }
        if let port = Self.port(of: registry),
            !port.allSatisfy(\.isASCIIDigit) || !(1...65535).contains(Int(port.prefix(6)) ?? 0)
        {
            let quoted = RemoteError.quoted(String(port))
            throw RemoteError.invalidReference(text, reason: "port '\(quoted)' is not a TCP port (1 to 65535)")
        }
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard let parsed = Digest(digestText) else {
                throw RemoteError.invalidReference(
                    text, reason: "the digest must be sha256: and 64 lowercase hex digits")
            }
            digest = parsed
            rest = String(rest[..<at])
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
            guard let tag, Self.isTag(tag) else {
                throw RemoteError.invalidReference(
                    text, reason: "a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with . or -")
            }
        }
        repository = rest
        guard rest.isEmpty ? (tag == nil && digest == nil) : Self.isRepository(rest) else {
            throw RemoteError.invalidReference(
                text, reason: "a repository is lowercase path components of [a-z0-9] separated by '.', '_', '__' or '-'"
            )
        }
    }

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public var description: String {
        "\(registry)/\(repository)\(tag.map { ":" + $0 } ?? "")\(digest.map { "@" + $0.description } ?? "")"
    }

    /// What to ask the registry for: the digest when given, else the tag, else `latest`.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// Whether the registry is this machine (plain HTTP is still only used with `--plain-http`).
    public var isLoopback: Bool { Self.isLoopback(host: Self.host(of: registry)) }

    /// The host of `host[:port]` or `[v6]:port`, without brackets.
    static func host(of registry: String) -> String {
        registry.hasPrefix("[")
            ? String(registry.prefix { $0 != "]" }.dropFirst())
            : String(registry.prefix { $0 != ":" })
    }

    /// What follows the host's `:` in `host:port` or `[v6]:port`, as written; nil when there is no port.
    static func port(of registry: String) -> Substring? {
        let afterHost = registry.hasPrefix("[") ? registry.drop { $0 != "]" }.dropFirst() : registry.drop { $0 != ":" }
        return afterHost.first == ":" ? afterHost.dropFirst() : nil
    }

    /// The names of this machine's loopback interface that lgreg trusts with credentials over plain HTTP.
    static func isLoopback(host: String) -> Bool { host == "localhost" || host == "127.0.0.1" || host == "::1" }

    static func isHost(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 255 else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }
    }

    static func isRepository(_ text: String) -> Bool {
        // The distribution spec's `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
        text.count <= 255
            && text.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
                guard let first = component.first, let last = component.last, first.isLowercaseAlphanumeric,
                    last.isLowercaseAlphanumeric
                else { return false }
                return component.allSatisfy { $0.isLowercaseAlphanumeric || "._-".contains($0) }
                    && !component.contains("..") && !component.contains("___")
            }
    }

    static func isTag(_ text: String) -> Bool {
        guard let first = text.first, text.count <= 128, first != ".", first != "-" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}

extension Character {
    fileprivate var isLowercaseAlphanumeric: Bool { isASCII && (isNumber || isLowercase) }
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
