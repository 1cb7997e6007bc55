import Foundation
import GRDB
import LgregCore

/// A blob a tagged manifest reaches (`blobs`).
struct BlobRecord: IndexRecord {
    static let databaseTableName = "blobs"

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
