import Foundation
import LgregArchive
import LgregCore
import SafeTensors

/// A Des-Net materialized from a learngene, as recorded in the store.
public struct Materialization: Codable, Equatable, Sendable {
    /// Digest of the derived (Des-Net) manifest.
    public var desNetDigest: Digest
    /// Digest of the learngene manifest it was built from.
    public var learngeneDigest: Digest
    /// Des-Net depth.
    public var depth: Int
    /// Initialization strategy.
    public var strategy: String
    /// Layer order.
    public var order: String?
    /// Seed of a random assignment.
    public var seed: Int?
    /// RFC 3339 time of writing.
    public var created: String?

    public init(
        desNetDigest: Digest, learngeneDigest: Digest, depth: Int, strategy: String, order: String?, seed: Int?,
        created: String?
    ) {
        self.desNetDigest = desNetDigest
        self.learngeneDigest = learngeneDigest
        self.depth = depth
        self.strategy = strategy
        self.order = order
        self.seed = seed
        self.created = created
    }
}
