import Foundation
import LgregArchive
import LgregCore
import LgregResolver
import LgregStore

/// A Des-Net recorded in the store without copying a layer: an OCI manifest whose config blob is the Des-Net's
/// `config.json` (`TimmConfig`: timm arguments, layer map, strategy, seed) and whose layers are the
/// learngene's own blobs that the Des-Net copies or interpolates, each listed once. Fresh tensors are
/// regenerated from the recorded seed; nothing else needs storing.
public enum StoredDesNet {
    /// `artifactType` of a Des-Net manifest.
    public static let artifactType = EntryKind.desnet.artifactType
    /// Media type of its config blob (`Schemas/timm-config.schema.json`).
    public static let configMediaType = "application/vnd.lgreg.desnet.config.v1+json"

    /// Records `net`, planned from `learngene`, under `tag` (default `defaultTag(net, learngene.manifest)`), with
    /// `config` as its config blob (default: `TimmConfig(net, tool:)`, for a caller that did not build it already).
    /// - Returns: the Des-Net manifest's digest and its tag.
    /// - Throws: `StoreError` when a blob is missing or the tag is invalid.
    public static func record(
        _ net: DesNet, from learngene: StoredLearngene, in store: LearngeneStore, tag: String? = nil,
        tool: String, config: TimmConfig? = nil
    ) throws -> (digest: Digest, tag: String) {
        var used: [Int] = []
        for block in net.blocks {
            switch block {
            case .layer(let m) where !used.contains(m): used.append(m)
            case .interpolated where used.isEmpty: used = [0, 1]
            default: break
            }
        }
        let sharedUsed = net.tensors.contains {
            if case .copy = $0.content { return !$0.name.hasPrefix("blocks.") } else { return false }
        }
        let layers = (sharedUsed ? [learngene.shared.descriptor] : []) + used.map { learngene.layers[$0].descriptor }
        let reference = tag ?? defaultTag(net, learngene: learngene.manifest)
        let config = config ?? TimmConfig(net, tool: tool)
        let digest = try store.writeDerived(
            DerivedArtifact(
                reference: reference, artifactType: artifactType, config: try config.encoded(),
                configMediaType: configMediaType,
                layers: layers, base: learngene.digest, depth: net.depth, strategy: net.lineage.strategy.rawValue,
                order: net.lineage.order,
                seed: net.lineage.seed.flatMap { Int(exactly: $0) },
                annotations: [
                    OCIAnnotation.title:
                        "\(learngene.manifest.name) Des-Net, depth \(net.depth), \(net.lineage.strategy.rawValue)"
                ]))
        return (digest, reference)
    }

    /// `<learngene>-d<depth>:<version>-<strategy>[-<order>][-s<seed>][-h<classes>]`, e.g.
    /// `aux-b-d14:0.1.0-cyclic-front-mid-last`; an explicit map adds its FNV-1a hash.
    public static func defaultTag(_ net: DesNet, learngene: LearngeneManifest) -> String {
        var version = "\(learngene.version)-\(net.lineage.strategy.rawValue)"
        if let order = net.lineage.order { version += "-" + order.replacingOccurrences(of: ",", with: ".") }
        if net.lineage.strategy == .explicit {
            version +=
                "-"
                + String(
                    FNV1a.hash64(net.lineage.layerMap.map { $0.map(String.init) ?? "-" }.joined(separator: ",")),
                    radix: 16)
        }
        if let seed = net.lineage.seed { version += "-s\(seed)" }
        if net.lineage.head == .new { version += "-h\(net.architecture.classes)" }
        if net.architecture.pooling != learngene.architecture.pooling {
            version += "-\(net.architecture.pooling.rawValue)"
        }
        return "\(learngene.name)-d\(net.depth):\(String(version.prefix(128)))"
    }
}
