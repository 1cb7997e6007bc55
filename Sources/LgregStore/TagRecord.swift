import Foundation
import GRDB
import LgregCore

/// A tag (`tags`), `name:version`.
struct TagRecord: IndexRecord {
    static let databaseTableName = "tags"

    var ref: String
    var name: String
    var version: String
    var digest: Digest

    /// The table's columns.
    enum Columns {
        static let ref = Column("ref")
        static let name = Column("name")
        static let version = Column("version")
        static let digest = Column("digest")
    }
}
