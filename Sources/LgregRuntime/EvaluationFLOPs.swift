import LgregArchitecture

/// The floating-point work of evaluating models on one image, from LgregArchitecture's accounting
/// (`ViTArchitecture.blockFLOPs`, `sharedFLOPs`: fvcore's multiply-accumulates) at 2 FLOPs a multiply-accumulate.
///
/// Per block: the four linear layers 2·T·(3d² + d² + 2·d·h), the two attention products 2·2·T²·d, and the two
/// LayerNorms at fvcore's 5 per element (2·2·5·T·d, 1% of a fmnist-tiny block); GELU, softmax, the residual adds
/// and the pooling mean are not counted. Outside the blocks: the patch embedding 2·N·C·p²·d, the final LayerNorm
/// and the head 2·d·K.
public enum EvaluationFLOPs {
    /// FLOPs of one block on one image.
    public static func block(_ architecture: ViTArchitecture) -> Int { 2 * architecture.blockFLOPs }

    /// FLOPs of the patch embedding on one image.
    public static func embedding(_ architecture: ViTArchitecture) -> Int {
        2 * architecture.patchCount * architecture.patchValues * architecture.width
    }

    /// FLOPs of the final LayerNorm, pooling and head on one image.
    public static func head(_ architecture: ViTArchitecture) -> Int {
        2 * architecture.sharedFLOPs - embedding(architecture)
    }

    /// FLOPs of a whole model on one image (`2 · architecture.flops(depth:)`).
    public static func model(_ model: ViTModel) -> Int { 2 * model.architecture.flops(depth: model.depth) }

    /// FLOPs on one image of evaluating `models` through their prefix tree (`PrefixTreeEvaluation`): one embedding
    /// per parameter set, one block per tree node, one head per model; or, with `shared: false`, each model
    /// alone (the sum of `model(_:)`).
    public static func perImage(_ models: [ViTModel], shared: Bool) -> Int {
        guard shared else { return models.reduce(0) { $0 + model($1) } }
        let trees = PrefixTreeEvaluation.groups(models)
        let architecture = { (group: PrefixTreeEvaluation.Group) in group.parameters.layout.architecture }
        return trees.reduce(0) { $0 + embedding(architecture($1)) + $1.root.nodeCount * block(architecture($1)) }
            + models.reduce(0) { $0 + head($1.architecture) }
    }
}
