import LgregArchitecture
import LgregCore

/// The order in which a learngene's stages receive the copies left over when the depth is not a multiple
/// of the stage count: a permutation of 0..<M.
///
/// The six named orders arrange three groups: front (stage 0), mid (stages 1…M−2, in natural order) and last
/// (stage M−1). For M = 5, front-last-mid is 0,4,1,2,3 and front-mid-last is the natural order 0,1,2,3,4.
public struct StageOrder: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The six arrangements of front, mid and last.
    public enum Named: String, CaseIterable, Sendable {
        case frontMidLast = "front-mid-last"
        case frontLastMid = "front-last-mid"
        case midFrontLast = "mid-front-last"
        case midLastFront = "mid-last-front"
        case lastFrontMid = "last-front-mid"
        case lastMidFront = "last-mid-front"
    }

    /// Stages, the first to receive an extra copy first.
    public let stages: [Int]
    /// The named order this permutation was built from, if any.
    public let name: Named?

    /// A named order for `stageCount` stages.
    public init(_ name: Named, stageCount: Int) {
        let front = [0]
        let last = stageCount > 1 ? [stageCount - 1] : []
        let mid = stageCount > 2 ? Array(1..<(stageCount - 1)) : []
        let groups: [[Int]]
        switch name {
        case .frontMidLast: groups = [front, mid, last]
        case .frontLastMid: groups = [front, last, mid]
        case .midFrontLast: groups = [mid, front, last]
        case .midLastFront: groups = [mid, last, front]
        case .lastFrontMid: groups = [last, front, mid]
        case .lastMidFront: groups = [last, mid, front]
        }
        self.stages = groups.flatMap { $0 }
        self.name = name
    }

    /// An explicit permutation such as [0, 4, 1, 3, 2].
    /// - Throws: `ResolverError.invalidOrder` unless `stages` holds each of 0..<stageCount exactly once.
    public init(permutation stages: [Int], stageCount: Int) throws {
        guard stages.count == stageCount, stages.sorted() == Array(0..<stageCount) else {
            throw ResolverError.invalidOrder(order: stages, stages: stageCount)
        }
        self.stages = stages
        self.name = nil
    }

    /// The name, or the comma list for an explicit permutation.
    public var description: String { name?.rawValue ?? stages.map(String.init).joined(separator: ",") }
}

/// A stage order as the user gives it, before the stage count is known: a named order or an explicit
/// permutation. `resolve(stageCount:)` turns it into a `StageOrder`.
public enum OrderSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// One of the six arrangements of front, mid and last.
    case named(StageOrder.Named)
    /// Stages in the order they receive extra copies, e.g. [0, 4, 1, 3, 2].
    case permutation([Int])

    /// Parses a named order (`front-last-mid`) or a comma list (`0,4,1,3,2`).
    /// - Throws: `ResolverError.unparsableOrder` for anything else.
    public init(parsing text: String) throws {
        if let named = StageOrder.Named(rawValue: text) {
            self = .named(named)
            return
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard parts.allSatisfy({ $0 != nil }) else { throw ResolverError.unparsableOrder(text) }
        self = .permutation(parts.map { $0! })
    }

    /// The order for a learngene of `stageCount` stages.
    /// - Throws: `ResolverError.invalidOrder` when a permutation does not fit the stage count.
    public func resolve(stageCount: Int) throws -> StageOrder {
        switch self {
        case .named(let name): return StageOrder(name, stageCount: stageCount)
        case .permutation(let stages): return try StageOrder(permutation: stages, stageCount: stageCount)
        }
    }

    public var description: String {
        switch self {
        case .named(let name): return name.rawValue
        case .permutation(let stages): return stages.map(String.init).joined(separator: ",")
        }
    }
}

/// Which learngene layer initializes each layer of a Des-Net: `sources[i]` is the learngene layer block i
/// is copied from. Built only through throwing initializers, so a map that exists has one entry per Des-Net
/// layer and every entry names a layer the learngene has.
///
/// ```swift
/// let map = try LayerMap.cyclic(sourceLayers: 5, depth: 12, order: StageOrder(.frontMidLast, stageCount: 5))
/// map.sources   // [0,0,0,1,1,1,2,2,3,3,4,4], the map the SWS authors published
/// ```
public struct LayerMap: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// For each Des-Net layer, the learngene layer it comes from.
    public let sources: [Int]
    /// Layers the learngene (or source model) holds.
    public let sourceLayers: Int

    /// An explicit map.
    /// - Throws: `ResolverError.invalidDepth` for an empty map or one longer than `ArchitectureLimits.maxDepth`,
    ///   `.layerMapLength` when `depth` is given and differs from the map's length, `.layerMapEntryOutOfRange`
    ///   for an entry outside 0..<sourceLayers.
    public init(sources: [Int], sourceLayers: Int, depth: Int? = nil) throws {
        if let depth, sources.count != depth { throw ResolverError.layerMapLength(count: sources.count, depth: depth) }
        guard (1...ArchitectureLimits.maxDepth).contains(sources.count) else {
            throw ResolverError.invalidDepth(sources.count)
        }
        if let bad = sources.firstIndex(where: { $0 < 0 || $0 >= sourceLayers }) {
            throw ResolverError.layerMapEntryOutOfRange(position: bad, entry: sources[bad], layers: sourceLayers)
        }
        self.sources = sources
        self.sourceLayers = sourceLayers
    }

    /// Parses `0,0,1,…` as an explicit map for a Des-Net of `depth` layers.
    public init(parsing text: String, sourceLayers: Int, depth: Int) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard parts.allSatisfy({ $0 != nil }) else { throw ResolverError.unparsableLayerMap(text) }
        try self.init(sources: parts.map { $0! }, sourceLayers: sourceLayers, depth: depth)
    }

    /// Cyclic initialization: with M = `sourceLayers` and L = `depth`, stage m gets ⌊L/M⌋ copies plus one if
    /// m is among the first (L mod M) stages of `order`; the copies are emitted in stage order. For M = 5,
    /// L = 12 and front-mid-last this is 0,0,0,1,1,1,2,2,3,3,4,4.
    /// - Throws: `ResolverError.depthDropsStages` when L < M unless `allowDropStages`; `.invalidDepth` when
    ///   L < 1; `.invalidOrder` when `order` is for another stage count.
    public static func cyclic(sourceLayers: Int, depth: Int, order: StageOrder, allowDropStages: Bool = false) throws
        -> LayerMap
    {
        try checkDepth(depth, sourceLayers: sourceLayers, allowDropStages: allowDropStages)
        guard order.stages.count == sourceLayers else {
            throw ResolverError.invalidOrder(order: order.stages, stages: sourceLayers)
        }
        var copies = Array(repeating: depth / sourceLayers, count: sourceLayers)
        for stage in order.stages.prefix(depth % sourceLayers) { copies[stage] += 1 }
        return try LayerMap(copies: copies, sourceLayers: sourceLayers)
    }

    /// Random-assigned initialization: every stage gets one copy, each of the L − M extra copies goes to a
    /// stage drawn uniformly by `SplitMix64(seed:)`, and the copies are emitted in stage order (a shuffled
    /// order would wreck the network, the paper's Table 4 shows it keeps working). When L < M and
    /// `allowDropStages`, L distinct stages are drawn instead. The same seed always gives the same map.
    public static func randomAssigned(sourceLayers: Int, depth: Int, seed: UInt64, allowDropStages: Bool = false) throws
        -> LayerMap
    {
        try checkDepth(depth, sourceLayers: sourceLayers, allowDropStages: allowDropStages)
        var generator = SplitMix64(seed: seed)
        var copies = Array(repeating: 0, count: sourceLayers)
        if depth < sourceLayers {
            // Partial Fisher–Yates: the first `depth` entries become a uniform sample of distinct stages.
            var stages = Array(0..<sourceLayers)
            for i in 0..<depth {
                stages.swapAt(i, i + generator.uniform(below: sourceLayers - i))
                copies[stages[i]] = 1
            }
        } else {
            copies = Array(repeating: 1, count: sourceLayers)
            for _ in 0..<(depth - sourceLayers) { copies[generator.uniform(below: sourceLayers)] += 1 }
        }
        return try LayerMap(copies: copies, sourceLayers: sourceLayers)
    }

    /// Block i from source layer i, for i = 0..<depth: IMwLM's selection of a deeper model's first blocks, or
    /// a plain model expanded at its own depth.
    public static func leading(depth: Int, sourceLayers: Int) throws -> LayerMap {
        try checkDepth(depth)
        return try LayerMap(sources: Array(0..<depth), sourceLayers: sourceLayers)
    }

    /// The map of a stage schedule: virtual layer l uses stage `schedule.stageOfLayer[l]`. Materializing an
    /// SWS learngene with it rebuilds the Aux-Net it came from.
    public init(schedule: StageSchedule) {
        self.sources = schedule.stageOfLayer
        self.sourceLayers = schedule.stageCount
    }

    private init(copies: [Int], sourceLayers: Int) throws {
        try self.init(
            sources: copies.enumerated().flatMap { stage, count in Array(repeating: stage, count: count) },
            sourceLayers: sourceLayers)
    }

    /// Refuses a depth outside 1...`ArchitectureLimits.maxDepth` before any array of that length is built.
    static func checkDepth(_ depth: Int) throws {
        guard (1...ArchitectureLimits.maxDepth).contains(depth) else { throw ResolverError.invalidDepth(depth) }
    }

    private static func checkDepth(_ depth: Int, sourceLayers: Int, allowDropStages: Bool) throws {
        try checkDepth(depth)
        if depth < sourceLayers, !allowDropStages {
            throw ResolverError.depthDropsStages(depth: depth, stages: sourceLayers)
        }
    }

    /// L, the Des-Net's depth.
    public var depth: Int { sources.count }

    /// How many Des-Net layers each learngene layer initializes.
    public var copies: [Int] {
        var counts = Array(repeating: 0, count: sourceLayers)
        for source in sources { counts[source] += 1 }
        return counts
    }

    /// Maximal runs of consecutive Des-Net layers that come from the same learngene layer, in order: the
    /// stage boundaries `lgreg plan` prints (0,0,0,1,1 → layer 0 over 0..<3, layer 1 over 3..<5).
    public var runs: [(source: Int, layers: Range<Int>)] {
        var result: [(source: Int, layers: Range<Int>)] = []
        for (index, source) in sources.enumerated() {
            if let last = result.last, last.source == source, last.layers.upperBound == index {
                result[result.count - 1].layers = last.layers.lowerBound..<(index + 1)
            } else {
                result.append((source, index..<(index + 1)))
            }
        }
        return result
    }

    /// `0,0,0,1,1,1,2,2,3,3,4,4`.
    public var description: String { sources.map(String.init).joined(separator: ",") }
}
