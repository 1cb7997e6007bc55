import LgregArchitecture
import Testing

@testable import LgregResolver

/// Layer maps against the published lists (method.md, "Cyclic initialization"), hand-worked orders and
/// properties every map must have.
@Suite struct LayerMapTests {
    static func fml(_ m: Int) -> StageOrder { StageOrder(.frontMidLast, stageCount: m) }

    /// The lists for M = 5, depths 6–15, in front-mid-last order; depth 12 is the authors' published map.
    static let published: [Int: [Int]] = [
        6: [0, 0, 1, 2, 3, 4],
        7: [0, 0, 1, 1, 2, 3, 4],
        8: [0, 0, 1, 1, 2, 2, 3, 4],
        9: [0, 0, 1, 1, 2, 2, 3, 3, 4],
        10: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
        11: [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
        12: [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4],
        13: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4],
        14: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4],
        15: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    ]

    @Test(arguments: 6...15) func publishedLists(depth: Int) throws {
        let map = try LayerMap.cyclic(sourceLayers: 5, depth: depth, order: Self.fml(5))
        #expect(map.sources == Self.published[depth])
    }

    @Test func namedOrdersForFiveStages() {
        let expected: [StageOrder.Named: [Int]] = [
            .frontMidLast: [0, 1, 2, 3, 4], .frontLastMid: [0, 4, 1, 2, 3], .midFrontLast: [1, 2, 3, 0, 4],
            .midLastFront: [1, 2, 3, 4, 0], .lastFrontMid: [4, 0, 1, 2, 3], .lastMidFront: [4, 1, 2, 3, 0],
        ]
        for (name, stages) in expected { #expect(StageOrder(name, stageCount: 5).stages == stages, "\(name)") }
        #expect(StageOrder(.lastMidFront, stageCount: 2).stages == [1, 0])
        #expect(StageOrder(.midLastFront, stageCount: 1).stages == [0])
    }

    @Test func handWorkedOrders() throws {
        // L = 7, front-last-mid: the 2 extra copies go to stages 0 and 4.
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 7, order: StageOrder(.frontLastMid, stageCount: 5)).sources
                == [0, 0, 1, 2, 3, 4, 4])
        // L = 8, mid-last-front: 3 extras to stages 1, 2, 3.
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 8, order: StageOrder(.midLastFront, stageCount: 5)).sources
                == [0, 1, 1, 2, 2, 3, 3, 4])
        // L = 13, explicit order 0,4,1,3,2: 3 extras to stages 0, 4, 1.
        let explicit = try OrderSpec(parsing: "0,4,1,3,2").resolve(stageCount: 5)
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 13, order: explicit).sources
                == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4])
        // L = 14, last-mid-front: 4 extras to 4, 1, 2, 3.
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 14, order: StageOrder(.lastMidFront, stageCount: 5)).sources
                == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    }

    /// Table 4 of the paper: the two cyclic orders it compares tie exactly at depths 10 and 11.
    @Test func frontMidLastAndFrontLastMidTieAtTenAndEleven() throws {
        let fml = Self.fml(5)
        let flm = StageOrder(.frontLastMid, stageCount: 5)
        for depth in [10, 11] {
            #expect(
                try LayerMap.cyclic(sourceLayers: 5, depth: depth, order: fml)
                    == LayerMap.cyclic(sourceLayers: 5, depth: depth, order: flm))
        }
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 12, order: fml)
                != LayerMap.cyclic(sourceLayers: 5, depth: 12, order: flm))
    }

    @Test func cyclicProperties() throws {
        for m in 1...8 {
            for depth in m...(3 * m + 2) {
                for name in StageOrder.Named.allCases {
                    let map = try LayerMap.cyclic(sourceLayers: m, depth: depth, order: StageOrder(name, stageCount: m))
                    #expect(map.depth == depth)
                    #expect(map.copies.allSatisfy { $0 >= 1 })
                    #expect(map.copies.max()! - map.copies.min()! <= 1)
                    #expect(zip(map.sources, map.sources.dropFirst()).allSatisfy { $0 <= $1 })
                }
            }
        }
    }

    @Test func randomAssignedProperties() throws {
        var extraSeen = Set<Int>()
        for seed in UInt64(0)..<200 {
            let map = try LayerMap.randomAssigned(sourceLayers: 5, depth: 11, seed: seed)
            #expect(map.depth == 11)
            #expect(map.copies.allSatisfy { $0 >= 1 })
            #expect(zip(map.sources, map.sources.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(
                try LayerMap.randomAssigned(sourceLayers: 5, depth: 11, seed: seed) == map, "deterministic per seed")
            for (stage, count) in map.copies.enumerated() where count > 1 { extraSeen.insert(stage) }
        }
        #expect(extraSeen == [0, 1, 2, 3, 4], "every stage receives extra copies for some seed")
        let maps = Set(try (UInt64(0)..<20).map { try LayerMap.randomAssigned(sourceLayers: 5, depth: 11, seed: $0) })
        #expect(maps.count > 1)
    }

    @Test func randomAssignedBelowStageCountDrawsDistinctStages() throws {
        for seed in UInt64(0)..<50 {
            let map = try LayerMap.randomAssigned(sourceLayers: 5, depth: 3, seed: seed, allowDropStages: true)
            #expect(map.depth == 3)
            #expect(Set(map.sources).count == 3)
            #expect(map.sources == map.sources.sorted())
        }
    }

    /// Random-assigned maps for M = 5, L = 11 as an independent Python reimplementation of the documented
    /// draw (SplitMix64, rejection below 2⁶⁴ mod 5, six extra copies) computes them.
    @Test func randomAssignedKnownAnswers() throws {
        let expected: [UInt64: [Int]] = [
            0: [0, 0, 0, 0, 1, 2, 2, 3, 4, 4, 4],
            1: [0, 0, 0, 0, 1, 1, 2, 3, 3, 4, 4],
            42: [0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4],
        ]
        for (seed, sources) in expected {
            #expect(
                try LayerMap.randomAssigned(sourceLayers: 5, depth: 11, seed: seed).sources == sources, "seed \(seed)")
        }
    }

    @Test func depthsBelowStageCount() throws {
        #expect(throws: ResolverError.depthDropsStages(depth: 3, stages: 5)) {
            try LayerMap.cyclic(sourceLayers: 5, depth: 3, order: Self.fml(5))
        }
        #expect(ResolverError.depthDropsStages(depth: 3, stages: 5).description.contains("--allow-drop-stages"))
        #expect(
            try LayerMap.cyclic(sourceLayers: 5, depth: 3, order: Self.fml(5), allowDropStages: true).sources == [
                0, 1, 2,
            ])
        #expect(
            try LayerMap.cyclic(
                sourceLayers: 5, depth: 2, order: StageOrder(.lastFrontMid, stageCount: 5), allowDropStages: true
            ).sources == [0, 4])
        #expect(throws: ResolverError.invalidDepth(0)) {
            try LayerMap.cyclic(sourceLayers: 5, depth: 0, order: Self.fml(5), allowDropStages: true)
        }
    }

    @Test func explicitMapsAreChecked() throws {
        #expect(try LayerMap(parsing: "0,0,1,2,3,4", sourceLayers: 5, depth: 6).sources == [0, 0, 1, 2, 3, 4])
        #expect(throws: ResolverError.layerMapLength(count: 5, depth: 6)) {
            try LayerMap(parsing: "0,0,1,2,3", sourceLayers: 5, depth: 6)
        }
        #expect(throws: ResolverError.layerMapEntryOutOfRange(position: 5, entry: 5, layers: 5)) {
            try LayerMap(parsing: "0,0,1,2,3,5", sourceLayers: 5, depth: 6)
        }
        #expect(throws: ResolverError.layerMapEntryOutOfRange(position: 0, entry: -1, layers: 5)) {
            try LayerMap(sources: [-1], sourceLayers: 5)
        }
        #expect(throws: ResolverError.unparsableLayerMap("0,a")) {
            try LayerMap(parsing: "0,a", sourceLayers: 5, depth: 2)
        }
    }

    @Test func ordersAreChecked() throws {
        #expect(throws: ResolverError.invalidOrder(order: [0, 4, 1, 3, 3], stages: 5)) {
            try OrderSpec(parsing: "0,4,1,3,3").resolve(stageCount: 5)
        }
        #expect(throws: ResolverError.invalidOrder(order: [0, 1, 2], stages: 5)) {
            try OrderSpec(parsing: "0,1,2").resolve(stageCount: 5)
        }
        #expect(throws: ResolverError.unparsableOrder("middle-first")) { try OrderSpec(parsing: "middle-first") }
        #expect(try OrderSpec(parsing: "front-last-mid") == .named(.frontLastMid))
    }

    @Test func runsAreStageBoundaries() throws {
        let map = try LayerMap.cyclic(sourceLayers: 5, depth: 12, order: Self.fml(5))
        #expect(map.runs.map(\.source) == [0, 1, 2, 3, 4])
        #expect(map.runs.map(\.layers) == [0..<3, 3..<6, 6..<8, 8..<10, 10..<12])
    }

    @Test func scheduleMapIsTheAuxNetLayout() throws {
        let map = LayerMap(schedule: try StageSchedule([3, 3, 4, 3, 3]))
        #expect(map.sources == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    }

    /// Issue 10 case 5: `plan --depth 9223372036854775807` tried to build a map of that length.
    @Test func depthsAreBoundedBeforeAMapIsBuilt() throws {
        let order = StageOrder(.frontMidLast, stageCount: 5)
        #expect(throws: ResolverError.invalidDepth(.max)) {
            try LayerMap.cyclic(sourceLayers: 5, depth: .max, order: order)
        }
        #expect(throws: ResolverError.invalidDepth(1025)) {
            try LayerMap.randomAssigned(sourceLayers: 5, depth: 1025, seed: 0)
        }
        #expect(throws: ResolverError.invalidDepth(1025)) {
            try LayerMap(sources: Array(repeating: 0, count: 1025), sourceLayers: 1)
        }
        #expect(try LayerMap.cyclic(sourceLayers: 5, depth: 1024, order: order).depth == 1024)
        #expect(
            ResolverError.invalidDepth(.max).description
                == "depth 9223372036854775807: a Des-Net has between 1 and 1024 layers")
    }
}
