import LgregArchitecture
import LgregVocabulary

/// How a Des-Net is initialized: SWS's expansions of a learngene and the paper's baselines, all through one
/// command (`lgreg materialize --strategy …`).
public enum Strategy: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Cyclic initialization of an SWS learngene in a stage order (the default: front-mid-last).
    case cyclic(OrderSpec)
    /// Random-assigned initialization: each stage once, extra copies to random stages, stage order kept.
    case randomAssigned
    /// An explicit layer map (`--layers-source 0,0,1,…`) over an SWS learngene or a plain model.
    case explicit([Int])
    /// Simple-LG: a plain M-layer model expanded with the same cyclic maps.
    case simpleLG(OrderSpec)
    /// TLEG: θ_l = θ_A + (l/L)·θ_B for l = 0..L−1.
    case tleg
    /// IMwLM (weight selection): blocks 0..L−1, embeddings and final norm of a deeper plain model.
    case imwlm
    /// Vanilla-LG: random embeddings and lower L−k blocks, the last k blocks and final norm of a plain model.
    case vanillaLG(topBlocks: Int)
    /// Every tensor freshly initialized (trunc-normal 0.02 weights, zero biases, unit LayerNorm scales).
    case scratch

    /// The network the learngene was trained as (declared `aux-net`): an SWS Aux-Net runs its stage's layer at
    /// every virtual layer of its schedule, a plain model its own blocks, a TLEG Aux-Net θ_A + (l/L)·θ_B.
    public static func trainedNetwork(of source: any LearngeneSource) -> Strategy {
        switch source.kind {
        case .tleg: return .tleg
        case .sws: return .explicit(source.schedule?.stageOfLayer ?? Array(0..<source.layerCount))
        case .plain: return .explicit(Array(0..<source.layerCount))
        }
    }

    /// The strategies by name (the vocabulary's `StrategyName`).
    public typealias Name = StrategyName

    /// The strategy called `name`, with the stage order of cyclic and Simple-LG (default front-mid-last), the
    /// map of `explicit` and Vanilla-LG's top blocks.
    /// - Throws: `ResolverError` for an order on a strategy without one, an unparsable order, or `explicit`
    ///   without a map.
    public init(_ name: Name, order: String? = nil, layers: [Int]? = nil, topBlocks: Int = 3) throws {
        if let order, !name.takesOrder { throw ResolverError.orderNotApplicable(strategy: name.rawValue, order: order) }
        let stageOrder = try OrderSpec(parsing: order ?? StageOrder.Named.frontMidLast.rawValue)
        switch name {
        case .cyclic: self = .cyclic(stageOrder)
        case .random: self = .randomAssigned
        case .explicit:
            guard let layers else { throw ResolverError.unparsableLayerMap("") }
            self = .explicit(layers)
        case .simpleLG: self = .simpleLG(stageOrder)
        case .tleg: self = .tleg
        case .imwlm: self = .imwlm
        case .vanillaLG: self = .vanillaLG(topBlocks: topBlocks)
        case .scratch: self = .scratch
        }
    }

    /// The strategy's name.
    public var kind: Name {
        switch self {
        case .cyclic: return .cyclic
        case .randomAssigned: return .random
        case .explicit: return .explicit
        case .simpleLG: return .simpleLG
        case .tleg: return .tleg
        case .imwlm: return .imwlm
        case .vanillaLG: return .vanillaLG
        case .scratch: return .scratch
        }
    }

    /// The name the CLI and the lineage use.
    public var name: String { kind.rawValue }

    /// The stage order, for the strategies that have one.
    public var orderDescription: String? {
        switch self {
        case .cyclic(let order), .simpleLG(let order): return order.description
        default: return nil
        }
    }

    public var description: String { orderDescription.map { "\(name) (\($0))" } ?? name }

    /// Whether the strategy draws random numbers (and so records its seed).
    public var usesSeed: Bool {
        switch self {
        case .randomAssigned, .vanillaLG, .scratch: return true
        default: return false
        }
    }

    /// Whether the patch and position embeddings (and class token) come from the source.
    var copiesEmbeddings: Bool {
        switch self {
        case .vanillaLG, .scratch: return false
        default: return true
        }
    }

    /// The learngene kinds the strategy expands; nil for any (scratch takes nothing from it).
    public var kinds: [LearngeneKind]? {
        switch self {
        case .cyclic, .randomAssigned: return [.sws]
        case .explicit: return [.sws, .plain]
        case .simpleLG, .imwlm, .vanillaLG: return [.plain]
        case .tleg: return [.tleg]
        case .scratch: return nil
        }
    }

    /// The names of the strategies that expand a learngene of `kind`, in `--strategy`'s order.
    public static func names(expanding kind: LearngeneKind) -> [String] {
        let every: [Strategy] = [
            .cyclic(.named(.frontMidLast)), .randomAssigned, .explicit([]), .simpleLG(.named(.frontMidLast)), .tleg,
            .imwlm, .vanillaLG(topBlocks: 1),
        ]
        return every.filter { $0.kinds?.contains(kind) ?? true }.map(\.name)
    }

    /// How each block of a Des-Net of `depth` layers is initialized from `source`.
    /// - Throws: `ResolverError` when the source has the wrong kind or too few layers, the depth drops
    ///   stages without `allowDropStages`, or an explicit map or order is invalid.
    public func blocks(source: any LearngeneSource, depth: Int, seed: UInt64, allowDropStages: Bool) throws
        -> [BlockInit]
    {
        try LayerMap.checkDepth(depth)
        let m = source.layerCount
        if let kinds, !kinds.contains(source.kind) {
            throw ResolverError.wrongKind(strategy: name, needs: kinds, found: source.kind)
        }
        func fromMap(_ map: LayerMap) -> [BlockInit] { map.sources.map { .layer($0) } }
        switch self {
        case .cyclic(let order):
            return fromMap(
                try .cyclic(
                    sourceLayers: m, depth: depth, order: order.resolve(stageCount: m), allowDropStages: allowDropStages
                ))
        case .randomAssigned:
            return fromMap(
                try .randomAssigned(sourceLayers: m, depth: depth, seed: seed, allowDropStages: allowDropStages))
        case .explicit(let sources):
            return fromMap(try LayerMap(sources: sources, sourceLayers: m, depth: depth))
        case .simpleLG(let order):
            return fromMap(
                try .cyclic(
                    sourceLayers: m, depth: depth, order: order.resolve(stageCount: m), allowDropStages: allowDropStages
                ))
        case .tleg:
            return (0..<depth).map { .interpolated(factor: Double($0) / Double(depth)) }
        case .imwlm:
            guard m >= depth else {
                throw ResolverError.sourceTooShallow(strategy: name, sourceLayers: m, needed: depth)
            }
            return fromMap(try .leading(depth: depth, sourceLayers: m))
        case .vanillaLG(let k):
            guard k >= 1, k <= depth else { throw ResolverError.invalidTopBlocks(k: k, depth: depth) }
            guard m >= k else { throw ResolverError.sourceTooShallow(strategy: name, sourceLayers: m, needed: k) }
            return Array(repeating: .fresh, count: depth - k) + ((m - k)..<m).map { .layer($0) }
        case .scratch:
            return Array(repeating: .fresh, count: depth)
        }
    }
}

/// How one Des-Net block is initialized.
public enum BlockInit: Equatable, Hashable, Sendable {
    /// A copy of learngene layer m.
    case layer(Int)
    /// θ_A + factor·θ_B from a TLEG learngene.
    case interpolated(factor: Double)
    /// Fresh weights per `TensorSpec.initializer`.
    case fresh

    /// The learngene layer copied, if any.
    public var sourceLayer: Int? {
        if case .layer(let m) = self { return m }
        return nil
    }
}
