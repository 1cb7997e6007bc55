import Foundation
import GRDB
import LgregArchive

/// A tag (`tags`), `name:version`.
struct TagRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tags"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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
