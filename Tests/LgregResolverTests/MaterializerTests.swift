import Foundation
import LgregArchitecture
import SafeTensors
import Testing

@testable import LgregResolver

@Suite struct MaterializerTests {
    let arch = MemorySource.tiny

    /// An Aux-Net checkpoint as the official SWS code saves it (`blocks.block.<part>.instances.<m>.<param>`),
    /// turned into a learngene and expanded at the Aux-Net's own depth with its own schedule, gives back
    /// the Aux-Net's weights, block by block.
    @Test func auxNetDepthWithItsScheduleReproducesTheAuxNet() throws {
        let schedule = try StageSchedule([3, 3, 4, 3, 3])
        var aux = SafeTensorsWriter()
        for (m, _) in schedule.layersPerStage.enumerated() {
            for (t, spec) in arch.blockTensorSpecs.enumerated() {
                let part = spec.name.split(separator: ".").dropLast().joined(separator: ".")
                let param = spec.name.split(separator: ".").last!
                try aux.add(
                    "blocks.block.\(part).instances.\(m).\(param)", shape: spec.shape,
                    floats: (0..<spec.elementCount).map { Float(m * 1000 + t * 37) + Float($0) * 0.25 })
            }
        }
        let checkpoint = try SafeTensorsFile(data: try aux.serialized(), label: "aux.safetensors")
        func official(_ stage: Int, _ relative: String) -> String {
            let parts = relative.split(separator: ".")
            return "blocks.block.\(parts.dropLast().joined(separator: ".")).instances.\(stage).\(parts.last!)"
        }
        var layers: [SafeTensorsFile] = []
        for m in 0..<schedule.stageCount {
            var layer = SafeTensorsWriter()
            for spec in arch.blockTensorSpecs {
                try layer.add(
                    spec.name, dtype: .f32, shape: spec.shape, bytes: try checkpoint.copy(official(m, spec.name)))
            }
            layers.append(try SafeTensorsFile(data: try layer.serialized(), label: "layer-\(m)"))
        }
        let base = try MemorySource.make(kind: .sws, layers: 0, schedule: schedule)
        let source = MemorySource(
            architecture: arch, kind: .sws, schedule: schedule, shared: base.shared, layers: layers)

        let net = try Materializer.plan(source, depth: 16, strategy: .explicit(LayerMap(schedule: schedule).sources))
        // Virtual layer l uses the stage whose cumulative layer count first exceeds l.
        var stageOfLayer: [Int] = []
        for (stage, count) in [3, 3, 4, 3, 3].enumerated() { stageOfLayer += Array(repeating: stage, count: count) }
        for l in 0..<16 {
            for spec in arch.blockTensorSpecs {
                #expect(
                    try net.bytes("blocks.\(l).\(spec.name)") == checkpoint.copy(official(stageOfLayer[l], spec.name)),
                    "block \(l) \(spec.name)")
            }
        }
        for spec in arch.sharedTensorSpecs { #expect(try net.bytes(spec.name) == base.shared.copy(spec.name)) }
    }

    @Test func cyclicCopiesTheMappedLayers() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let net = try Materializer.plan(source, depth: 12, strategy: .cyclic(.named(.frontMidLast)))
        let expected = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4]
        #expect(net.lineage.layerMap == expected)
        #expect(net.lineage.strategy == .cyclic)
        #expect(net.lineage.order == "front-mid-last")
        #expect(net.lineage.seed == nil)
        #expect(net.lineage.learngeneDigest == source.learngeneDigest)
        for (i, m) in expected.enumerated() {
            for spec in arch.blockTensorSpecs {
                #expect(try net.bytes("blocks.\(i).\(spec.name)") == source.layers[m].copy(spec.name))
            }
        }
        let blockNames: [String] = (0..<12).flatMap { i in arch.blockTensorSpecs.map { "blocks.\(i).\($0.name)" } }
        let names: [String] =
            ["pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"] + blockNames
            + ["norm.weight", "norm.bias", "head.weight", "head.bias"]
        #expect(net.tensors.map(\.name) == names)
        #expect(net.parameterCount == arch.parameterCount(depth: 12))
    }

    @Test func tlegInterpolates() throws {
        // θ_A ≡ 1 and θ_B ≡ 2 everywhere: block l of depth L is 1 + 2·l/L.
        var source = try MemorySource.make(kind: .tleg, layers: 2)
        source.layers = [
            try MemorySource.file(arch.blockTensorSpecs, layer: 0, label: "theta-a") { _, _ in 1 },
            try MemorySource.file(arch.blockTensorSpecs, layer: 1, label: "theta-b") { _, _ in 2 },
        ]
        let net = try Materializer.plan(source, depth: 8, strategy: .tleg)
        for l in 0..<8 {
            let values = try net.tensor("blocks.\(l).mlp.fc1.weight").floats()
            #expect(values.allSatisfy { $0 == 1 + 2 * Float(l) / 8 }, "block \(l)")
        }
        #expect(
            try net.bytes("blocks.0.attn.qkv.weight") == source.layers[0].copy("attn.qkv.weight"),
            "the first layer is θ_A exactly")
        #expect(net.lineage.layerMap == Array(repeating: nil, count: 8))
        #expect(throws: ResolverError.wrongKind(strategy: "tleg", needs: [.tleg], found: .sws)) {
            try Materializer.plan(
                MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([1, 1, 1, 1, 1])), depth: 8,
                strategy: .tleg)
        }
    }

    @Test func imwlmSelectsTheFirstBlocksOfADeeperModel() throws {
        let teacher = try MemorySource.make(kind: .plain, layers: 12)
        let net = try Materializer.plan(teacher, depth: 6, strategy: .imwlm)
        for i in 0..<6 {
            #expect(try net.bytes("blocks.\(i).attn.proj.weight") == teacher.layers[i].copy("attn.proj.weight"))
        }
        for name in ["patch_embed.proj.weight", "pos_embed", "norm.weight", "head.weight"] {
            #expect(try net.bytes(name) == teacher.shared.copy(name))
        }
        #expect(throws: ResolverError.sourceTooShallow(strategy: "imwlm", sourceLayers: 12, needed: 13)) {
            try Materializer.plan(teacher, depth: 13, strategy: .imwlm)
        }
    }

    @Test func simpleLGExpandsAPlainModelWithTheCyclicMap() throws {
        let plain = try MemorySource.make(kind: .plain, layers: 5)
        let net = try Materializer.plan(plain, depth: 7, strategy: .simpleLG(.named(.frontMidLast)))
        #expect(net.lineage.layerMap == [0, 0, 1, 1, 2, 3, 4])
        #expect(try net.bytes("blocks.3.norm1.weight") == plain.layers[1].copy("norm1.weight"))
        #expect(throws: ResolverError.wrongKind(strategy: "cyclic", needs: [.sws], found: .plain)) {
            try Materializer.plan(plain, depth: 7, strategy: .cyclic(.named(.frontMidLast)))
        }
    }

    @Test func vanillaLGKeepsOnlyTheTopBlocks() throws {
        let teacher = try MemorySource.make(kind: .plain, layers: 12)
        let net = try Materializer.plan(teacher, depth: 8, strategy: .vanillaLG(topBlocks: 3), seed: 7)
        #expect(net.lineage.layerMap == [nil, nil, nil, nil, nil, 9, 10, 11])
        #expect(net.lineage.seed == 7)
        for (i, m) in [(5, 9), (6, 10), (7, 11)] {
            #expect(try net.bytes("blocks.\(i).mlp.fc2.weight") == teacher.layers[m].copy("mlp.fc2.weight"))
        }
        for name in ["norm.weight", "norm.bias", "head.weight", "head.bias"] {
            #expect(try net.bytes(name) == teacher.shared.copy(name))
        }
        #expect(try net.tensor("blocks.0.norm1.weight").floats().allSatisfy { $0 == 1 })
        #expect(try net.tensor("blocks.0.attn.qkv.bias").floats().allSatisfy { $0 == 0 })
        #expect(try net.bytes("pos_embed") != teacher.shared.copy("pos_embed"))
        #expect(throws: ResolverError.invalidTopBlocks(k: 9, depth: 8)) {
            try Materializer.plan(teacher, depth: 8, strategy: .vanillaLG(topBlocks: 9))
        }
    }

    /// Fresh weights follow timm's initializers: trunc-normal(0.02) cut at ±2 std has standard deviation
    /// 0.02·√(1 − 4φ(2)/(2Φ(2) − 1)) = 0.0175925.
    @Test func scratchIsTruncatedNormalAndSeeded() throws {
        let wide = ViTArchitecture(
            imageSize: 16, patchSize: 4, inChannels: 1, width: 128, heads: 2, classes: 3, classToken: false,
            pooling: .avgNormFirst)
        let source = try MemorySource.make(kind: .sws, layers: 1, schedule: StageSchedule([2]), architecture: wide)
        let net = try Materializer.plan(source, depth: 1, strategy: .scratch, seed: 3)
        let values = try net.tensor("blocks.0.mlp.fc1.weight").floats().map(Double.init)  // 65,536 draws
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.0003)
        #expect(abs(std - 0.0175925) < 0.0003)
        #expect(values.allSatisfy { abs($0) <= 0.04 + 1e-7 })
        #expect(try net.bytes("head.weight") != source.shared.copy("head.weight"), "scratch never copies the head")
        let again = try Materializer.plan(source, depth: 1, strategy: .scratch, seed: 3)
        let other = try Materializer.plan(source, depth: 1, strategy: .scratch, seed: 4)
        #expect(try again.bytes("blocks.0.mlp.fc1.weight") == net.bytes("blocks.0.mlp.fc1.weight"))
        #expect(try other.bytes("blocks.0.mlp.fc1.weight") != net.bytes("blocks.0.mlp.fc1.weight"))
    }

    @Test func newHeadForANewTask() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let net = try Materializer.plan(
            source, depth: 6, strategy: .cyclic(.named(.frontMidLast)), head: .new, classes: 7)
        #expect(net.architecture.classes == 7)
        #expect(net.tensor("head.weight").shape == [7, 8])
        #expect(try net.tensor("head.bias").floats() == Array(repeating: 0, count: 7))
        #expect(net.lineage.head == .new)
        #expect(try net.bytes("norm.weight") == source.shared.copy("norm.weight"))
        let kept = try Materializer.plan(
            source, depth: 6, strategy: .cyclic(.named(.frontMidLast)), head: .keep, classes: 3)
        #expect(try kept.bytes("head.weight") == source.shared.copy("head.weight"))
        #expect(throws: ResolverError.headClassMismatch(learngene: 3, requested: 7)) {
            try Materializer.plan(source, depth: 6, strategy: .cyclic(.named(.frontMidLast)), head: .keep, classes: 7)
        }
    }

    @Test func misshapenOrMissingTensorsAreNamed() throws {
        var source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        var specs = arch.blockTensorSpecs
        specs[2] = TensorSpec(name: "attn.qkv.weight", shape: [24, 4], initializer: .truncatedNormal002)
        source.layers[3] = try MemorySource.file(specs, layer: 3, label: "layer-3.safetensors")
        #expect(
            throws: ResolverError.tensorMismatch(
                file: "layer-3.safetensors", tensor: "attn.qkv.weight", expected: [24, 8], found: [24, 4])
        ) {
            try Materializer.plan(source, depth: 12, strategy: .cyclic(.named(.frontMidLast)))
        }
        source.layers[3] = try MemorySource.file(
            Array(arch.blockTensorSpecs.dropLast()), layer: 3, label: "layer-3.safetensors")
        #expect(
            throws: ResolverError.tensorMismatch(
                file: "layer-3.safetensors", tensor: "mlp.fc2.bias", expected: [8], found: nil)
        ) {
            try Materializer.plan(source, depth: 12, strategy: .cyclic(.named(.frontMidLast)))
        }
        source.layers.removeLast()
        #expect(throws: ResolverError.scheduleMismatch(schedule: try StageSchedule([3, 3, 4, 3, 3]), layers: 4)) {
            try Materializer.plan(source, depth: 12, strategy: .cyclic(.named(.frontMidLast)))
        }
    }

    @Test func integerWeightsAreRefused() throws {
        var source = try MemorySource.make(kind: .sws, layers: 2, schedule: StageSchedule([2, 2]))
        var writer = SafeTensorsWriter()
        for spec in arch.blockTensorSpecs {
            if spec.name == "mlp.fc1.bias" {
                try writer.add(spec.name, shape: spec.shape, int64s: Array(repeating: 1, count: spec.elementCount))
            } else {
                try writer.add(spec.name, shape: spec.shape, floats: Array(repeating: 0, count: spec.elementCount))
            }
        }
        source.layers[1] = try SafeTensorsFile(data: try writer.serialized(), label: "layer-1.safetensors")
        #expect(
            throws: ResolverError.unsupportedDType(file: "layer-1.safetensors", tensor: "mlp.fc1.bias", dtype: "I64")
        ) {
            try Materializer.plan(source, depth: 4, strategy: .cyclic(.named(.frontMidLast)))
        }
        // A TLEG θ_B whose shape disagrees with θ_A's architecture is named too.
        var tleg = try MemorySource.make(kind: .tleg, layers: 2)
        var specs = arch.blockTensorSpecs
        specs[0] = TensorSpec(name: "norm1.weight", shape: [7], initializer: .ones)
        tleg.layers[1] = try MemorySource.file(specs, layer: 1, label: "theta-b.safetensors")
        #expect(
            throws: ResolverError.tensorMismatch(
                file: "theta-b.safetensors", tensor: "norm1.weight", expected: [8], found: [7])
        ) {
            try Materializer.plan(tleg, depth: 4, strategy: .tleg)
        }
    }

    @Test func halfPrecisionIsCopiedAsStored() throws {
        let source = try MemorySource.make(kind: .sws, layers: 2, schedule: StageSchedule([2, 2]), dtype: .bf16)
        let net = try Materializer.plan(
            source, depth: 4, strategy: .cyclic(.named(.frontMidLast)), head: .new, classes: 5)
        #expect(net.tensors.allSatisfy { $0.dtype == .bf16 })
        #expect(try net.bytes("blocks.3.attn.proj.weight") == source.layers[1].copy("attn.proj.weight"))
    }
}
