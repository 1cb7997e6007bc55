import Foundation
import GRDB
import LgregCore

/// A layer blob a manifest lists, in order (`manifest_layers`).
struct ManifestLayerRecord: IndexRecord {
    static let databaseTableName = "manifest_layers"

    var manifestDigest: Digest
    var position: Int
    var blobDigest: Digest
    var role: String?
    var layerIndex: Int?

    /// The table's columns.
    enum Columns {
        static let manifestDigest = Column("manifest_digest")
        static let position = Column("position")
        static let blobDigest = Column("blob_digest")
        static let role = Column("role")
        static let layerIndex = Column("layer_index")
    }
}
