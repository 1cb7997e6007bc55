import Foundation
import GRDB
import LgregCore

/// A Des-Net materialized from a learngene (`materializations`).
struct MaterializationRecord: IndexRecord {
    static let databaseTableName = "materializations"

    var desNetDigest: Digest
    var learngeneDigest: Digest
    var depth: Int
    var strategy: String
    var layerOrder: String?
    var seed: Int?
    var created: String?

    /// The table's columns.
    enum Columns {
        static let desNetDigest = Column("des_net_digest")
        static let learngeneDigest = Column("learngene_digest")
        static let depth = Column("depth")
        static let strategy = Column("strategy")
        static let layerOrder = Column("layer_order")
        static let seed = Column("seed")
        static let created = Column("created")
    }

    /// The public form.
    var materialization: Materialization {
        Materialization(
            desNetDigest: desNetDigest, learngeneDigest: learngeneDigest, depth: depth, strategy: strategy,
            order: layerOrder,
            seed: seed, created: created)
    }
}
