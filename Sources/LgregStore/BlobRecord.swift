import Foundation
import GRDB
import LgregArchive

/// A blob a tagged manifest reaches (`blobs`).
struct BlobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "blobs"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var digest: Digest
    var size: Int
    var mediaType: String

    /// The table's columns.
    enum Columns {
        static let digest = Column("digest")
        static let size = Column("size")
        static let mediaType = Column("media_type")
    }
}
