import Foundation

/// How an Aux-Net's L virtual layers are grouped into M weight-sharing stages.
///
/// `StageSchedule([3, 3, 4, 3, 3])` is the paper's Aux-B: 16 layers, 5 learngene layers; layers 0–2 use
/// stage 0's weights, 3–5 stage 1's, 6–9 stage 2's, 10–12 stage 3's, 13–15 stage 4's.
public struct StageSchedule: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Layers per stage, front to last; every count is at least 1.
    public let layersPerStage: [Int]

    /// - Throws: `ArchitectureError.invalidSchedule` when the list is empty, a count is not positive, or the
    ///   stages or layers exceed `ArchitectureLimits.maxDepth` (checked before the counts are summed).
    public init(_ layersPerStage: [Int]) throws {
        let limit = ArchitectureLimits.maxDepth
        guard !layersPerStage.isEmpty else { throw ArchitectureError.invalidSchedule(reason: "no stages") }
        guard layersPerStage.count <= limit else {
            throw ArchitectureError.invalidSchedule(
                reason: "\(layersPerStage.count) stages; at most \(limit) are allowed")
        }
        if let bad = layersPerStage.firstIndex(where: { !(1...limit).contains($0) }) {
            throw ArchitectureError.invalidSchedule(
                reason: "stage \(bad) has \(layersPerStage[bad]) layers; every stage has between 1 and \(limit)")
        }
        let depth = layersPerStage.reduce(0, +)
        guard depth <= limit else {
            throw ArchitectureError.invalidSchedule(
                reason: "the stages hold \(depth) layers; a model has at most \(limit)")
        }
        self.layersPerStage = layersPerStage
    }

    /// Parses `3,3,4,3,3`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var counts: [Int] = []
        for part in parts {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ArchitectureError.invalidSchedule(
                    reason: "'\(text)' is not a comma list of layer counts such as 3,3,4,3,3")
            }
            counts.append(n)
        }
        try self.init(counts)
    }

    /// Spreads `depth` layers over `stages` stages as evenly as possible, the larger stages in the middle
    /// (`balanced(16, 5)` is 3,3,4,3,3 and `balanced(12, 6)` is 2,2,2,2,2,2, the paper's MS-WS6 and MS-WS1).
    public static func balanced(depth: Int, stages: Int) throws -> StageSchedule {
        guard stages >= 1, depth >= stages, depth <= ArchitectureLimits.maxDepth else {
            throw ArchitectureError.invalidSchedule(
                reason:
                    "cannot spread \(depth) layers over \(stages) stages (need 1 ≤ stages ≤ depth ≤ \(ArchitectureLimits.maxDepth))"
            )
        }
        var counts = Array(repeating: depth / stages, count: stages)
        let extra = depth % stages
        // Give the remainder to the stages closest to the middle, alternating sides from the centre.
        let order = (0..<stages).sorted {
            abs(2 * $0 - (stages - 1)) < abs(2 * $1 - (stages - 1))
                || (abs(2 * $0 - (stages - 1)) == abs(2 * $1 - (stages - 1)) && $0 < $1)
        }
        for stage in order.prefix(extra) { counts[stage] += 1 }
        return try StageSchedule(counts)
    }

    /// Checks the schedule against the depth it must cover.
    public func validate(depth: Int) throws {
        if self.depth != depth {
            throw ArchitectureError.invalidSchedule(
                reason: "layer counts \(self) sum to \(self.depth), not the depth \(depth)")
        }
    }

    /// M, the number of stages (learngene layers).
    public var stageCount: Int { layersPerStage.count }
    /// L, the number of virtual layers.
    public var depth: Int { layersPerStage.reduce(0, +) }

    /// For each virtual layer, the stage whose weights it uses: `[0,0,0,1,1,1,2,2,2,2,3,3,3,4,4,4]`.
    public var stageOfLayer: [Int] {
        layersPerStage.enumerated().flatMap { stage, count in Array(repeating: stage, count: count) }
    }

    public var description: String { layersPerStage.map(String.init).joined(separator: ",") }

    /// Decodes a list of layer counts; an invalid one is a `DecodingError` at the schedule's field, so the
    /// file's reader names it.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { try self.init(try container.decode([Int].self)) } catch let error as ArchitectureError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(layersPerStage)
    }
}
