import Foundation
import LgregCore
import LgregStore

/// How an entry was last verified, as `lgreg verify` records each verdict in the store's `verifications` table:
/// the verdict (`ok`, `mismatch`, `damaged`: a blob that does not hash to its digest, `cannot-verify`), the time
/// the store recorded, and every check with its status and detail (re-measured accuracies included).
public struct LastVerification: Codable, Equatable, Sendable {
    /// A verdict as a reader of the registry needs it.
    public enum Verdict: String, Codable, Sendable {
        case ok, mismatch, damaged
        case cannotVerify = "cannot-verify"
    }

    public var verdict: Verdict
    /// When the store recorded it (ISO 8601, UTC).
    public var checked: String
    /// Each check as `name status: detail`, separated by `; `.
    public var checks: String

    /// What starts the detail of every verdict `lgreg verify` records.
    static let prefix = "lgreg verify: "

    /// Records the verdict of `checks` on `digest` (best effort, as `LearngeneStore.recordVerification` is).
    static func record(_ digest: Digest, checks: [Verifier.Check], in store: LearngeneStore) {
        let status = checks.map(\.status).max() ?? .ok
        let verdict: Verdict
        switch status {
        case _ where checks.contains { $0.check == "blobs" && $0.status == .mismatch }: verdict = .damaged
        case .ok, .skipped: verdict = .ok
        case .cannotVerify: verdict = .cannotVerify
        case .mismatch: verdict = .mismatch
        }
        let lines = checks.map { "\($0.check) \($0.status.rawValue): \($0.detail)" }.joined(separator: "; ")
        store.recordVerification(digest, ok: status <= .skipped, detail: prefix + verdict.rawValue + ": " + lines)
    }

    /// The latest verdict `lgreg verify` recorded on each manifest digest of `store`.
    public static func all(in store: LearngeneStore) throws -> [Digest: LastVerification] {
        try store.latestVerifications(prefix: prefix).mapValues { recorded in
            let text = String((recorded.detail ?? "").dropFirst(prefix.count))
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2, let verdict = Verdict(rawValue: parts[0]) {
                return LastVerification(
                    verdict: verdict, checked: recorded.checked,
                    checks: parts[1].trimmingCharacters(in: .whitespaces))
            }
            // A verdict recorded before the verdict was written out: only whether it passed.
            return LastVerification(verdict: recorded.ok ? .ok : .mismatch, checked: recorded.checked, checks: text)
        }
    }
}
