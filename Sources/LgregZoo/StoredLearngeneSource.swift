import LgregResolver
import LgregStore

extension ManifestSource {
    /// A stored learngene, its blobs mapped in place; its lineage digest is its OCI manifest's.
    public init(_ stored: StoredLearngene) {
        self.init(
            manifest: stored.manifest, learngeneDigest: stored.digest.description,
            openShared: { try stored.shared.open() }, openLayer: { try stored.layers[$0].open() })
    }
}
