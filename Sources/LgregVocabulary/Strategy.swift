/// What a learngene's layers are.
public enum LearngeneKind: String, Codable, CaseIterable, Sendable {
    /// SWS: one layer per stage of the Aux-Net.
    case sws
    /// TLEG: two layers θ_A and θ_B; Des-Net layer l is a linear combination of them.
    case tleg
    /// A whole model: one layer per block (teachers, Simple-LG, IMwLM and scratch baselines).
    case plain
}

/// The strategies that initialize a Des-Net, by the names `--strategy`, lineages, declared results and reports use.
public enum StrategyName: String, Codable, CaseIterable, Sendable {
    case cyclic, random, explicit
    case simpleLG = "simple-lg"
    case tleg, imwlm
    case vanillaLG = "vanilla-lg"
    case scratch

    /// The name archives written before cyclic initialization had its own name used for it.
    public static let oldCyclicName = "sws"

    /// The strategy a recorded name means, old spellings included (`sws` is cyclic); nil for a name lgreg does
    /// not know.
    public init?(recorded name: String) {
        self.init(rawValue: name == Self.oldCyclicName ? StrategyName.cyclic.rawValue : name)
    }

    /// Whether the strategy expands in a stage order (`--order`).
    public var takesOrder: Bool { self == .cyclic || self == .simpleLG }

    /// The default stage order of the strategies that take one.
    public static let defaultOrder = "front-mid-last"
}

/// What happens to the classification head.
public enum HeadPolicy: String, Codable, CaseIterable, Sendable {
    /// Copy the learngene's head (the Des-Net's task is the Aux-Net's own).
    case keep
    /// A fresh head for a new task.
    case new
}

/// Where a materialized Des-Net came from: enough to rebuild it from the same learngene.
public struct Lineage: Codable, Equatable, Hashable, Sendable {
    /// The learngene's content digest (`sha256:…`), when the source has one.
    public var learngeneDigest: String?
    /// What the source layers were.
    public var learngeneKind: LearngeneKind
    /// The strategy (`cyclic`, `random`, `explicit`, `simple-lg`, `tleg`, `imwlm`, `vanilla-lg`, `scratch`).
    public var strategy: StrategyName
    /// The stage order, for cyclic and Simple-LG.
    public var order: String?
    /// The seed of every random draw (random-assigned map, fresh tensors), when any was made.
    public var seed: UInt64?
    /// For each block, the source layer it copies; null for a fresh or interpolated block.
    public var layerMap: [Int?]
    /// Whether the head was copied (`keep`) or freshly initialized (`new`).
    public var head: HeadPolicy

    public init(
        learngeneDigest: String?, learngeneKind: LearngeneKind, strategy: StrategyName, order: String?, seed: UInt64?,
        layerMap: [Int?], head: HeadPolicy
    ) {
        self.learngeneDigest = learngeneDigest
        self.learngeneKind = learngeneKind
        self.strategy = strategy
        self.order = order
        self.seed = seed
        self.layerMap = layerMap
        self.head = head
    }

    /// The layer map as `show` and `materialize` print it: `0,0,1,r` (`r` a fresh or interpolated block).
    public var layerMapText: String { layerMap.map { $0.map(String.init) ?? "r" }.joined(separator: ",") }
}

/// What a declared or recorded result was measured on: the network the learngene was trained as (declared
/// `aux-net`), or a Des-Net of a strategy, order and seed, untuned or tuned for some epochs.
public struct MeasuredNetwork: Hashable, Sendable {
    /// The `strategy` a result measured on the trained network itself declares.
    public static let trainedNetworkName = "aux-net"

    /// nil: the trained network itself.
    public var strategy: StrategyName?
    public var order: String?
    /// The seed (absent in a manifest means 0).
    public var seed: UInt64
    public var depth: Int
    /// Epochs fine-tuned after initialization; 0 is untuned.
    public var tunedEpochs: Int

    public init(strategy: StrategyName?, order: String?, seed: UInt64, depth: Int, tunedEpochs: Int) {
        self.strategy = strategy
        self.order = order
        self.seed = seed
        self.depth = depth
        self.tunedEpochs = tunedEpochs
    }

    /// Reads a recorded strategy name (`aux-net`, a strategy, or an old spelling); nil for a name lgreg does not know.
    public init?(recordedStrategy name: String, order: String?, seed: UInt64, depth: Int, tunedEpochs: Int) {
        if name == Self.trainedNetworkName {
            self.init(strategy: nil, order: order, seed: seed, depth: depth, tunedEpochs: tunedEpochs)
            return
        }
        guard let strategy = StrategyName(recorded: name) else { return nil }
        self.init(strategy: strategy, order: order, seed: seed, depth: depth, tunedEpochs: tunedEpochs)
    }

    /// The strategy's name as reports and declarations spell it (`aux-net` for the trained network).
    public var strategyName: String { strategy?.rawValue ?? Self.trainedNetworkName }

    /// The one rule that says a result was measured on a Des-Net of `lineage` and `depth` (untuned, or tuned from
    /// it for `tunedEpochs`): same depth, same strategy (old names read as they mean), same stage order (none stated
    /// is the default, front-mid-last), same seed (none is 0).
    public func describes(_ lineage: Lineage, depth: Int) -> Bool {
        guard let strategy, strategy == lineage.strategy, self.depth == depth, seed == lineage.seed ?? 0 else {
            return false
        }
        guard strategy.takesOrder else { return true }
        return (order ?? StrategyName.defaultOrder) == (lineage.order ?? StrategyName.defaultOrder)
    }
}

/// The kinds of entry a store holds, by the labels `list`, `show` and every JSON output use, with the OCI
/// `artifactType` of each kind's manifest.
public enum EntryKind: String, Codable, CaseIterable, Sendable {
    /// A learngene version.
    case learngene
    /// A Des-Net recorded without its own weights: a layer map over its learngene's blobs.
    case desnet
    /// A Des-Net fine-tuned (or trained from scratch) and recorded with its own weights.
    case tuned
    /// A stored `lgreg verify --record` report about a learngene.
    case verification

    /// The `artifactType` of the kind's manifests.
    public var artifactType: String {
        switch self {
        case .learngene: return "application/vnd.lgreg.learngene.v1"
        case .desnet: return "application/vnd.lgreg.desnet.v1"
        case .tuned: return "application/vnd.lgreg.desnet.tuned.v1"
        case .verification: return "application/vnd.lgreg.verification.v1"
        }
    }

    /// The kind whose manifests carry `artifactType`; nil for one lgreg does not write.
    public init?(artifactType: String) {
        guard let kind = Self.allCases.first(where: { $0.artifactType == artifactType }) else { return nil }
        self = kind
    }

    /// Whether entries of this kind are models a command can run or export.
    public var isModel: Bool { self != .verification }
}
