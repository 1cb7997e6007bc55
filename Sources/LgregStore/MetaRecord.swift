import Foundation
import GRDB
import LgregCore

/// Key/value facts about the index itself (`meta`).
struct MetaRecord: IndexRecord {
    static let databaseTableName = "meta"

    var key: String
    var value: String

    /// The table's columns.
    enum Columns {
        static let key = Column("key")
        static let value = Column("value")
    }

    /// The key of the SHA-256 of the `index.json` the derived tables were built from.
    static let indexDigestKey = "index_digest"

    static func fetchOne(_ db: Database, key: String) throws -> MetaRecord? { try fetchOne(db, key: ["key": key]) }
}
