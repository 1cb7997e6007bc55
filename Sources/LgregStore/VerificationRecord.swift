import Foundation
import GRDB
import LgregCore

/// A verdict of fsck or verify on a blob or learngene (`verifications`).
struct VerificationRecord: IndexRecord {
    static let databaseTableName = "verifications"

    var id: Int64?
    var digest: String
    var checked: String
    var ok: Bool
    var detail: String?

    /// The table's columns.
    enum Columns {
        static let id = Column("id")
        static let digest = Column("digest")
        static let checked = Column("checked")
        static let ok = Column("ok")
        static let detail = Column("detail")
    }
}
