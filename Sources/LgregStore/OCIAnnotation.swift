import Foundation
import LgregCore

/// Annotation keys.
public enum OCIAnnotation {
    /// Tag of a manifest in `index.json` (`name:version`).
    public static let refName = "org.opencontainers.image.ref.name"
    /// Manifest this one is derived from.
    public static let baseDigest = "org.opencontainers.image.base.digest"
    /// RFC 3339 creation time.
    public static let created = "org.opencontainers.image.created"
    /// Version.
    public static let version = "org.opencontainers.image.version"
    /// SPDX licence.
    public static let licenses = "org.opencontainers.image.licenses"
    /// Human title; on a layer, its path in the archive.
    public static let title = "org.opencontainers.image.title"
    /// Description.
    public static let description = "org.opencontainers.image.description"
    /// Learngene name.
    public static let name = "org.lgreg.name"
    /// Learngene kind (sws, tleg, plain).
    public static let kind = "org.lgreg.kind"
    /// Role of a layer blob: shared, stage, block, theta-a, theta-b (or what a derived manifest says).
    public static let role = "org.lgreg.role"
    /// Index of a layer blob within its role.
    public static let layerIndex = "org.lgreg.layer.index"
    /// Depth of a materialized Des-Net (on its derived manifest).
    public static let materializationDepth = "org.lgreg.materialization.depth"
    /// Initialization strategy of a materialized Des-Net.
    public static let materializationStrategy = "org.lgreg.materialization.strategy"
    /// Layer order of a materialized Des-Net.
    public static let materializationOrder = "org.lgreg.materialization.order"
    /// Seed of a materialized Des-Net's random choices.
    public static let materializationSeed = "org.lgreg.materialization.seed"
}
