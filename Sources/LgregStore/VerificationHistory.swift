import Foundation
import GRDB
import LgregCore

/// A verdict the `verifications` table holds: when a manifest or blob was checked, whether it passed, and what
/// the checker wrote about it.
public struct RecordedVerification: Equatable, Sendable {
    public var digest: Digest
    /// The time the check recorded (ISO 8601, UTC).
    public var checked: String
    public var ok: Bool
    public var detail: String?
}

extension LearngeneStore {
    /// The latest verdict on each digest whose detail starts with `prefix` (`lgreg verify` writes its own), the
    /// newest by the time it recorded, then by the order written.
    public func latestVerifications(prefix: String) throws -> [Digest: RecordedVerification] {
        let records = try readCache { db in
            try VerificationRecord.filter(VerificationRecord.Columns.detail.like("\(prefix)%"))
                .order(VerificationRecord.Columns.checked, VerificationRecord.Columns.id).fetchAll(db)
        }
        var latest: [Digest: RecordedVerification] = [:]
        for record in records {
            guard let digest = Digest(record.digest) else { continue }
            latest[digest] = RecordedVerification(
                digest: digest, checked: record.checked, ok: record.ok, detail: record.detail)
        }
        return latest
    }
}
