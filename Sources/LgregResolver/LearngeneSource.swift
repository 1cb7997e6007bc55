import LgregArchitecture
import LgregArchive
@_exported import LgregVocabulary
import SafeTensors

/// Where the resolver reads a learngene from: a stored learngene, an unpacked folder, or tensors built in
/// memory by a test. Everything the resolver does is written against this protocol.
///
/// Shared tensors use lgreg's names (`patch_embed.proj.weight`, `pos_embed`, `cls_token`, `norm.*`,
/// `head.*`); each layer file holds one block under block-relative names (`norm1.weight`,
/// `attn.qkv.weight`, … as `ViTArchitecture.blockTensorSpecs` lists them).
public protocol LearngeneSource {
    /// The architecture every layer shares (its `classes` are the learngene's own head).
    var architecture: ViTArchitecture { get }
    /// What the layers are.
    var kind: LearngeneKind { get }
    /// Layers stored: M for SWS, 2 for TLEG, the depth for a plain model.
    var layerCount: Int { get }
    /// The Aux-Net's stage schedule for an SWS learngene (its stage count equals `layerCount`); nil otherwise.
    var schedule: StageSchedule? { get }
    /// The learngene's content digest (`sha256:…`) recorded as lineage, when it has one.
    var learngeneDigest: String? { get }
    /// The shared tensors.
    func sharedTensors() throws -> SafeTensorsFile
    /// Layer `index` (0..<layerCount) under block-relative names.
    func layerTensors(_ index: Int) throws -> SafeTensorsFile
}

extension LearngeneSource {
    /// Checks what the resolver relies on before reading any weights: SWS has a schedule of `layerCount`
    /// stages, TLEG has exactly θ_A and θ_B, and there is at least one layer.
    func validateShape() throws {
        switch kind {
        case .sws:
            guard let schedule else {
                throw ResolverError.invalidFile(
                    path: learngeneDigest ?? "learngene", field: "schedule",
                    reason: "an SWS learngene needs its stage schedule")
            }
            guard schedule.stageCount == layerCount else {
                throw ResolverError.scheduleMismatch(schedule: schedule, layers: layerCount)
            }
        case .tleg:
            guard layerCount == 2 else {
                throw ResolverError.invalidFile(
                    path: learngeneDigest ?? "learngene", field: "layers",
                    reason: "a TLEG learngene stores θ_A and θ_B (2 layers), found \(layerCount)")
            }
        case .plain:
            guard layerCount >= 1 else {
                throw ResolverError.invalidFile(
                    path: learngeneDigest ?? "learngene", field: "layers",
                    reason: "a plain model needs at least 1 layer")
            }
        }
    }
}
