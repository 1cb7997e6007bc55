import Foundation
import GRDB
import LgregCore

/// A tagged manifest (`manifests`), damaged or not.
struct ManifestRecord: IndexRecord {
    static let databaseTableName = "manifests"

    var digest: Digest
    var artifactType: String
    var configDigest: Digest?
    var name: String?
    var version: String?
    var kind: String?
    var storedParameters: Int?
    var totalBytes: Int
    var baseDigest: String?
    var created: String?
    var damage: String?

    /// The table's columns.
    enum Columns {
        static let digest = Column("digest")
        static let artifactType = Column("artifact_type")
        static let configDigest = Column("config_digest")
        static let name = Column("name")
        static let version = Column("version")
        static let kind = Column("kind")
        static let storedParameters = Column("stored_parameters")
        static let totalBytes = Column("total_bytes")
        static let baseDigest = Column("base_digest")
        static let created = Column("created")
        static let damage = Column("damage")
    }
}
