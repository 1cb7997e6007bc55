import LgregArchitecture
import LgregCore

/// Everything the resolver refuses, one case per failure, each carrying the values that explain it.
public enum ResolverError: Error, Equatable, CustomStringConvertible {
    /// A depth below 1 or above `ArchitectureLimits.maxDepth`.
    case invalidDepth(Int)
    /// A depth below the learngene's layer count would drop whole stages; built only with `allowDropStages`.
    case depthDropsStages(depth: Int, stages: Int)
    /// An explicit stage order is not a permutation of 0..<stages.
    case invalidOrder(order: [Int], stages: Int)
    /// A stage-order text is neither a named order nor a comma list of stage numbers.
    case unparsableOrder(String)
    /// An explicit layer map has the wrong length.
    case layerMapLength(count: Int, depth: Int)
    /// An explicit layer map names a learngene layer that does not exist.
    case layerMapEntryOutOfRange(position: Int, entry: Int, layers: Int)
    /// A layer-map text is not a comma list of non-negative integers.
    case unparsableLayerMap(String)
    /// A stage order was given to a strategy that has none (only cyclic and Simple-LG expand in an order).
    case orderNotApplicable(strategy: String, order: String)
    /// A strategy needs a learngene of another kind (TLEG needs θ_A and θ_B, IMwLM a plain model …).
    case wrongKind(strategy: String, needs: [LearngeneKind], found: LearngeneKind)
    /// IMwLM and Vanilla-LG need a source model at least as deep as what they take from it.
    case sourceTooShallow(strategy: String, sourceLayers: Int, needed: Int)
    /// Vanilla-LG's k (trained top blocks) must lie in 1...depth.
    case invalidTopBlocks(k: Int, depth: Int)
    /// A learngene tensor is missing or its shape disagrees with the architecture.
    case tensorMismatch(file: String, tensor: String, expected: [Int], found: [Int]?)
    /// A learngene tensor has a dtype the resolver cannot use (weights must be F32, F16 or BF16).
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// `--head keep` with a class count other than the learngene's own head.
    case headClassMismatch(learngene: Int, requested: Int)
    /// The learngene's stage schedule does not describe its layer count.
    case scheduleMismatch(schedule: StageSchedule, layers: Int)
    /// An output folder or file could not be written or read.
    case io(path: String, reason: String)
    /// A file the resolver reads (a learngene folder's description, an export's `config.json`) is malformed
    /// or of an unknown version.
    case invalidFile(path: String, field: String?, reason: String)

    public var description: String {
        switch self {
        case .invalidDepth(let depth):
            return "depth \(depth): a Des-Net has between 1 and \(ArchitectureLimits.maxDepth) layers"
        case .depthDropsStages(let depth, let stages):
            return
                "depth \(depth) is below the learngene's \(stages) layers: \(stages - depth) stage(s) would be dropped and "
                + "the Des-Net would lose what those stages learned; pass --allow-drop-stages to build it anyway"
        case .invalidOrder(let order, let stages):
            return
                "stage order \(Quoted.name(order.map(String.init).joined(separator: ","))) is not a permutation of the stages 0…\(stages - 1)"
        case .unparsableOrder(let text):
            return
                "stage order '\(Quoted.name(text))': expected front-mid-last, front-last-mid, mid-front-last, mid-last-front, "
                + "last-front-mid, last-mid-front or a comma list of stages such as 0,4,1,3,2"
        case .layerMapLength(let count, let depth):
            return
                "layer map has \(count) entries but the depth is \(depth); it needs exactly one learngene layer per Des-Net layer"
        case .layerMapEntryOutOfRange(let position, let entry, let layers):
            return
                "layer map entry \(position) names learngene layer \(entry), but the learngene has layers 0…\(layers - 1)"
        case .unparsableLayerMap(let text):
            return
                "layer map '\(Quoted.name(text))': expected a comma list of learngene layers such as 0,0,0,1,1,1,2,2,3,3,4,4"
        case .orderNotApplicable(let strategy, let order):
            return "order '\(order)' applies to the cyclic and simple-lg strategies, not \(strategy)"
        case .wrongKind(let strategy, let needs, let found):
            return
                "strategy \(strategy) needs a \(needs.map(\.rawValue).joined(separator: " or ")) learngene; this one is \(found.rawValue), "
                + "which --strategy \(Strategy.names(expanding: found).joined(separator: ", ")) or scratch expand"
        case .sourceTooShallow(let strategy, let sourceLayers, let needed):
            return "strategy \(strategy) needs a source model of at least \(needed) layers; it has \(sourceLayers)"
        case .invalidTopBlocks(let k, let depth):
            return "vanilla-lg: --top-blocks \(k) must lie between 1 and the depth \(depth)"
        case .tensorMismatch(let file, let tensor, let expected, let found):
            if let found {
                return
                    "\(Quoted.name(file)): tensor '\(Quoted.name(tensor))' has shape \(found); the architecture needs \(expected)"
            }
            return "\(Quoted.name(file)): tensor '\(Quoted.name(tensor))' (shape \(expected)) is missing"
        case .unsupportedDType(let file, let tensor, let dtype):
            return
                "\(Quoted.name(file)): tensor '\(Quoted.name(tensor))' is \(dtype); the resolver needs F32, F16 or BF16 here"
        case .headClassMismatch(let learngene, let requested):
            return
                "--head keep copies the learngene's \(learngene)-class head, but \(requested) classes were asked for; use --head new"
        case .scheduleMismatch(let schedule, let layers):
            return
                "stage schedule \(schedule) has \(schedule.stageCount) stages but the learngene stores \(layers) layers"
        case .io(let path, let reason):
            return "\(Quoted.name(path)): \(reason)"
        case .invalidFile(let path, let field, let reason):
            return "\(Quoted.name(path))\(field.map { ": field '\($0)'" } ?? ""): \(reason)"
        }
    }
}
