import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregResolver
import LgregStore

/// Builds a Des-Net from a learngene: exported for timm, recorded in the store with its lineage, or both.
public enum DesNetMaterialization {
    /// What to build.
    public struct Request: Sendable {
        public var depth: Int
        public var recipe: DesNetRecipe
        /// Copy the learngene's head (same task) or start a fresh one.
        public var head: HeadPolicy
        /// Head classes (with `head == .new`; default the learngene's).
        public var classes: Int?

        public init(depth: Int, recipe: DesNetRecipe, head: HeadPolicy = .keep, classes: Int? = nil) {
            self.depth = depth
            self.recipe = recipe
            self.head = head
            self.classes = classes
        }
    }

    /// What was built and where it went.
    public struct Result {
        public var net: DesNet
        /// The Des-Net recorded in the store, when the learngene is stored.
        public var recorded: (digest: Digest, tag: String)?
        /// The folder holding `model.safetensors` and `config.json`, when exported.
        public var output: URL?
    }

    /// Plans the Des-Net, writes `output` when given, then records it in the learngene's store under `tag`
    /// (default `StoredDesNet.defaultTag`). Everything that can be refused is checked before anything is
    /// written, and the store is written last, so a failed export records nothing.
    /// - Parameter progress: bytes written and total, while exporting.
    public static func run(
        _ learngene: OpenedLearngene, _ request: Request, output: URL?, tag: String?, tool: String,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Result {
        let recipe = request.recipe
        let net = try Materializer.plan(
            learngene.source, depth: request.depth, strategy: recipe.strategy, head: request.head,
            classes: request.classes, pooling: recipe.pooling, seed: recipe.seed,
            allowDropStages: recipe.allowDropStages)
        let recordedTag = learngene.stored.map { tag ?? StoredDesNet.defaultTag(net, learngene: $0.manifest) }
        if let recordedTag { try LearngeneStore.checkTag(recordedTag) }
        let config = TimmConfig(net, tool: tool)
        var result = Result(net: net)
        if let output {
            try TimmExport.write(
                net, config: config, to: output, manifest: learngene.source.manifest, progress: progress ?? { _, _ in })
            result.output = output
        }
        if let stored = learngene.stored, let store = learngene.store {
            result.recorded = try StoredDesNet.record(
                net, from: stored, in: store, tag: recordedTag, tool: tool, config: config)
        }
        return result
    }
}
