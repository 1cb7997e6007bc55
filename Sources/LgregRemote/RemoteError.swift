import Foundation
import LgregCore

/// What can go wrong talking to a registry, one case per failure a script may want to tell apart. No case
/// ever holds a password, a token or an `Authorization` header.
public enum RemoteError: Error, Equatable, CustomStringConvertible {
    /// A remote reference or option that cannot be used (exit 64).
    case invalidReference(String, reason: String)
    /// A transfer setting (an option or its environment variable) that cannot be used (exit 64).
    case invalidOption(name: String, reason: String)
    /// The registry has no such repository, tag or manifest (exit 64).
    case notFound(String)
    /// What the registry sent is refused: a blob of the wrong digest or size, a body longer than declared, a
    /// manifest too large, of an unknown media type or not what was asked for (exit 65). Nothing of it is stored.
    case refused(what: String, reason: String)
    /// The registry cannot be reached, timed out or failed (5xx) (exit 75, EX_TEMPFAIL: try again later).
    case unreachable(registry: String, reason: String)
    /// The registry refused a request for another reason than credentials (a 4xx) (exit 76, EX_PROTOCOL).
    case rejected(registry: String, status: Int, detail: String)
    /// The registry refused the credentials, or asked for some and none are stored (exit 77, EX_NOPERM).
    case authentication(registry: String, detail: String)
    /// A file of ours (the Docker config, a CA file) could not be read or written (exit 74).
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidReference(let text, let reason):
            return "'\(Self.quoted(text))' is not a remote reference: \(reason)"
        case .invalidOption(let name, let reason): return "\(name): \(reason)"
        case .notFound(let what): return "\(what): not found in the registry"
        case .refused(let what, let reason): return "\(what): refused: \(reason); nothing of it was stored"
        case .unreachable(let registry, let reason): return "\(registry): registry unreachable: \(reason)"
        case .rejected(let registry, let status, let detail):
            return
                "\(registry): the registry refused the request (HTTP \(status))\(detail.isEmpty ? "" : ": \(detail)")"
        case .authentication(let registry, let detail): return "\(registry): authentication failed: \(detail)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }

    /// At most 200 characters of text that came from outside, control characters replaced.
    static func quoted(_ text: String) -> String {
        let clean = String(
            SourcePaths.removed(from: text).unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0)
            })
        return clean.count > 200 ? String(clean.prefix(200)) + "…" : clean
    }
}
