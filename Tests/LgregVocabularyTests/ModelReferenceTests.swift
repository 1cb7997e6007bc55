import LgregCore
import LgregVocabulary
import Testing

/// The reference grammar, case by case: every reading, the precedence between them, and what matches nothing.
@Suite struct ModelReferenceTests {
    let hex = String(repeating: "ab", count: 32)

    /// A file system holding only `existing`.
    func parse(_ text: String, existing: Set<String> = []) throws -> ModelReference {
        try ModelReference(parsing: text, exists: { existing.contains($0) })
    }

    @Test func eachReading() throws {
        #expect(try parse("oci:zoo") == .layout(folder: "zoo", tag: nil, digest: nil))
        #expect(
            try parse("oci:Registry/tuned:aux-d12:1")
                == .layout(folder: "Registry/tuned", tag: "aux-d12:1", digest: nil))
        #expect(try parse("oci:zoo@sha256:\(hex)") == .layout(folder: "zoo", tag: nil, digest: Digest("sha256:\(hex)")))
        #expect(try parse("localhost/team/aux:1") == .registry("localhost/team/aux:1"))
        #expect(
            try parse("127.0.0.1:5000/team/aux@sha256:\(hex)") == .registry("127.0.0.1:5000/team/aux@sha256:\(hex)"))
        #expect(try parse("registry.example.com/aux") == .registry("registry.example.com/aux"))
        #expect(try parse("aux-b.lgz") == .file("aux-b.lgz"))
        #expect(try parse("out/model.safetensors") == .file("out/model.safetensors"))
        #expect(try parse("ckpt.pth") == .file("ckpt.pth"))
        #expect(try parse("./aux") == .file("./aux"))
        #expect(try parse("/tmp/x") == .file("/tmp/x"))
        #expect(try parse("aux-b") == .entry("aux-b", orPath: false))
        #expect(try parse("aux-b:0.1.0") == .entry("aux-b:0.1.0", orPath: false))
        #expect(
            try parse("fmnist-tiny-sws-d12:2-cyclic-ft1") == .entry("fmnist-tiny-sws-d12:2-cyclic-ft1", orPath: false))
        #expect(try parse("sha256:9f86") == .entry("sha256:9f86", orPath: false))
        #expect(try parse("9f86d0") == .entry("9f86d0", orPath: false))
    }

    @Test func precedence() throws {
        // A path prefix wins over a registry host; a registry over a file suffix; a store name over a folder.
        #expect(try parse("./localhost/x") == .file("./localhost/x"))
        #expect(try parse("localhost:5000/x.lgz") == .registry("localhost:5000/x.lgz"))
        #expect(try parse("aux", existing: ["aux"]) == .entry("aux", orPath: true))
        #expect(try parse("team/aux", existing: ["team/aux"]) == .file("team/aux"))
        #expect(try parse("Aux", existing: ["Aux"]) == .file("Aux"))
    }

    @Test func matchesNothing() throws {
        for text in ["team/aux", "Aux_B", "a b", ""] {
            #expect(throws: ReferenceError.self) { try parse(text) }
        }
        let error = try #require(throws: ReferenceError.self) { try parse("team/aux") }
        #expect(error.description.hasPrefix("'team/aux' names nothing lgreg can read: not oci:DIR"))
        #expect(error.description.contains("'team' has none"))
        #expect(
            throws: ReferenceError.malformed(
                "oci:zoo@sha256:12", reading: .layout,
                reason: "the digest after '@' must be sha256: and 64 lowercase hex digits")
        ) {
            try parse("oci:zoo@sha256:12")
        }
    }
}

/// The one rule that matches a declared result to a Des-Net.
@Suite struct MeasuredNetworkTests {
    func lineage(_ strategy: StrategyName, order: String? = nil, seed: UInt64? = nil) -> Lineage {
        Lineage(
            learngeneDigest: nil, learngeneKind: .sws, strategy: strategy, order: order, seed: seed, layerMap: [],
            head: .keep)
    }

    func declared(_ strategy: String, order: String? = nil, seed: UInt64 = 0, depth: Int = 12, tuned: Int = 0)
        -> MeasuredNetwork
    {
        MeasuredNetwork(recordedStrategy: strategy, order: order, seed: seed, depth: depth, tunedEpochs: tuned)!
    }

    @Test func oldNamesAndDefaults() {
        let cyclic = lineage(.cyclic, order: "front-mid-last")
        #expect(declared("sws").describes(cyclic, depth: 12), "the old name sws is cyclic, no order the default one")
        #expect(declared("cyclic", order: "front-mid-last").describes(cyclic, depth: 12))
        #expect(!declared("cyclic", order: "last-mid-front").describes(cyclic, depth: 12))
        #expect(!declared("cyclic").describes(lineage(.cyclic, order: "mid-front-last"), depth: 12))
        #expect(!declared("cyclic").describes(cyclic, depth: 11))
        #expect(!declared("aux-net").describes(cyclic, depth: 12))
        #expect(MeasuredNetwork(recordedStrategy: "swirl", order: nil, seed: 0, depth: 12, tunedEpochs: 0) == nil)
    }

    @Test func seeds() {
        #expect(declared("random", seed: 3).describes(lineage(.random, seed: 3), depth: 12))
        #expect(!declared("random", seed: 3).describes(lineage(.random, seed: 4), depth: 12))
        #expect(declared("tleg").describes(lineage(.tleg), depth: 12))
    }

    @Test func top1() throws {
        #expect(Top1(correct: 8673, of: 10000).percentText == "86.73%")
        #expect(Top1(fraction: 0.8673).agrees(with: Top1(fraction: 0.8683), withinPoints: 0.1))
        #expect(!Top1(fraction: 0.8673).agrees(with: Top1(fraction: 0.8684), withinPoints: 0.1))
    }
}
