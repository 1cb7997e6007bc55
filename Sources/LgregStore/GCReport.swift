import Foundation
import LgregArchive
import LgregCore
import SafeTensors

/// What `gc` found and freed.
public struct GCReport: Codable, Sendable {
    /// Unreachable blobs deleted (or that would be, in a dry run).
    public var blobs: [Digest]
    /// Their bytes.
    public var bytes: Int
    /// Unreachable blobs spared because they are younger than the grace period.
    public var sparedYoung: Int
    /// Temp entries removed: those whose owner process is gone, unowned ones older than the grace period, and
    /// partial downloads of interrupted pulls older than the grace period.
    public var tempFiles: Int
    /// Untagged (dangling) learngene manifests kept with their blobs because `--prune-dangling` was not given.
    public var danglingKept: Int
    /// True for `--dry-run`.
    public var dryRun: Bool
}
