import Foundation
import LgregArchitecture
import LgregTestSupport
import SafeTensors
import Testing

@testable import LgregRuntime

/// The timm fixtures written by `Python/make_runtime_fixtures.py`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")
    static let cases = ["avg", "cls", "avg-norm-first", "avg-norm-first-cls-token", "fmnist-shape", "weight-shared"]

    static func path(_ name: String, _ kind: String) -> String {
        directory.appendingPathComponent("\(name).\(kind).safetensors").path
    }

    /// The fixture's architecture, model and reference input/output file.
    static func load(_ name: String) throws -> (ViTModel, SafeTensorsFile) {
        let io = try SafeTensorsFile(path: path(name, "io"))
        let architecture = try JSONDecoder().decode(ViTArchitecture.self, from: Data(io.metadata["architecture"]!.utf8))
        let weights = try SafeTensorsFile(path: path(name, "model"))
        let map = weights.metadata["layer_map"].map { $0.split(separator: ",").map { Int($0)! } }
        let model = try ViTModel(parameters: ViTParameters(file: weights, architecture: architecture), layerMap: map)
        #expect(model.depth == Int(io.metadata["depth"]!))
        return (model, io)
    }
}

@Suite struct TimmFixtureTests {
    @Test(arguments: Fixtures.cases)
    func logitsMatchTimm(name: String) throws {
        let (model, io) = try Fixtures.load(name)
        let images = try io.floats("images")
        let expected = try io.floats("logits")
        let batch = try io.info("images").shape[0]
        let runner = ViTRunner(model: model, maxBatch: batch)
        let logits: [Float] = try runner.logits(images: images, batch: batch)
        expectClose(logits, expected, absolute: 1e-4, "\(name): lgreg's logits vs timm's")

        // The same images one at a time through a larger runner give the same logits (no cross-talk in the batch).
        let wide = ViTRunner(model: model, maxBatch: batch + 3)
        let perImage = images.count / batch
        for b in 0..<batch {
            let single: [Float] = try wide.logits(images: Array(images[b * perImage..<(b + 1) * perImage]), batch: 1)
            expectClose(
                single, Array(expected[b * 10..<(b + 1) * 10]), absolute: 1e-4, "\(name): image \(b) alone vs timm")
        }

        var losses = [Float](repeating: 0, count: batch)
        let labels = try io.int64s("labels").map { Int32($0) }
        crossEntropyForward(&losses, logits, labels: labels, batch: batch, classes: model.architecture.classes)
        let meanLoss = losses.reduce(0, +) / Float(batch)
        #expect(abs(meanLoss - (try io.floats("loss"))[0]) <= 1e-5)
    }

    @Test func weightSharedModelDoesNotCopyBlocks() throws {
        let (model, _) = try Fixtures.load("weight-shared")
        #expect(model.parameters.layout.blockCount == 3)
        #expect(model.layerMap == [0, 0, 1, 2, 2])
        #expect(
            model.parameters.layout.count == model.architecture.tensorSpecs(depth: 3).map(\.elementCount).reduce(0, +))
    }

    @Test func inferenceActivationsDoNotGrowWithDepth() throws {
        let (model, _) = try Fixtures.load("weight-shared")
        let a = model.architecture
        let batch = 4
        let deep = ViTRunner(model: model, maxBatch: batch)
        let shallow = ViTRunner(model: try ViTModel(parameters: model.parameters, layerMap: [1]), maxBatch: batch)
        // One set of buffers for every layer: patches [N, C·p²], patch tokens [N, d], residual stream, norm/branch
        // output and attention output [T, d] each, qkv [T, 3d], probabilities [H, T, T], MLP hidden [T, h], one
        // mean and one 1/std per token, pooled and features [d], logits — per image, whatever the depth.
        let t = a.tokenCount
        let d = a.width
        let perImage =
            a.patchCount * a.patchValues + a.patchCount * d + 3 * t * d + 3 * t * d + a.heads * t * t
            + t * a.mlpWidth + 2 * t + 2 * d + a.classes
        #expect(deep.activationCount == batch * perImage)
        #expect(shallow.activationCount == deep.activationCount, "5 layers hold as much as 1")
        let inference = ViTActivations(
            architecture: a, depth: model.depth, batchCapacity: batch, keepingEveryLayer: false)
        #expect(inference.count == deep.activationCount && Set(inference.layers.map(\.qkv)).count == 1)
        // Training keeps, per layer, the stream at its input, both norms' outputs and statistics, qkv, the
        // probabilities, the attention output, the stream after attention, fc1's output before and after GELU.
        let l = model.depth
        let perLayer =
            t * d + t * d + 2 * t + 3 * t * d + a.heads * t * t + t * d + t * d + t * d + 2 * t + 2 * t * a.mlpWidth
        let perImageTraining =
            a.patchCount * a.patchValues + a.patchCount * d + l * perLayer + t * d  // + the blocks' output
            // branch, final norm with its statistics, pooled, features, logits
            + t * d + t * d + 2 * t + 2 * d + a.classes
        let training = ViTActivations(architecture: a, depth: l, batchCapacity: batch, keepingEveryLayer: true)
        #expect(training.count == batch * perImageTraining)
        #expect(Set(training.layers.map(\.qkv)).count == l && Set(training.residual).count == l + 1)
    }

    @Test func differentLayerMapChangesTheOutput() throws {
        let (model, io) = try Fixtures.load("weight-shared")
        let other = try ViTModel(parameters: model.parameters, layerMap: [0, 1, 1, 2, 2])
        let logits: [Float] = try ViTRunner(model: other, maxBatch: 4).logits(images: try io.floats("images"), batch: 4)
        let moved = zip(logits, try io.floats("logits")).map { abs($0 - $1) }.max() ?? 0
        #expect(moved > 1e-2, "another layer map moves the logits only \(moved)")
    }
}

@Suite struct WeightLoadingTests {
    static let architecture = try! JSONDecoder().decode(
        ViTArchitecture.self,
        from: Data(try! SafeTensorsFile(path: Fixtures.path("avg", "io")).metadata["architecture"]!.utf8))

    /// The `avg` fixture's tensors with `edit` applied, as an in-memory file.
    func edited(_ edit: (inout [String: (shape: [Int], values: [Float])]) -> Void) throws -> SafeTensorsFile {
        let source = try SafeTensorsFile(path: Fixtures.path("avg", "model"))
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for info in source.tensors { tensors[info.name] = (info.shape, try source.floats(info.name)) }
        edit(&tensors)
        var writer = SafeTensorsWriter()
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            try writer.add(name, shape: tensor.shape, floats: tensor.values)
        }
        return try SafeTensorsFile(data: try writer.serialized(), label: "edited.safetensors")
    }

    @Test func missingTensorIsNamed() throws {
        let file = try edited { $0["blocks.1.mlp.fc1.bias"] = nil }
        #expect(throws: RuntimeError.missingTensor(file: "edited.safetensors", name: "blocks.1.mlp.fc1.bias")) {
            try ViTParameters(file: file, architecture: Self.architecture)
        }
    }

    @Test func wrongShapeIsNamed() throws {
        let file = try edited { $0["head.weight"] = ([5, 96], [Float](repeating: 0, count: 480)) }
        #expect(
            throws: RuntimeError.tensorShape(
                file: "edited.safetensors", name: "head.weight", expected: [10, 48], actual: [5, 96])
        ) {
            try ViTParameters(file: file, architecture: Self.architecture)
        }
    }

    @Test func unexpectedTensorAndBlockGapsAreRefused() throws {
        let extra = try edited { $0["dist_token"] = ([1, 1, 48], [Float](repeating: 0, count: 48)) }
        #expect(throws: RuntimeError.unexpectedTensor(file: "edited.safetensors", name: "dist_token")) {
            try ViTParameters(file: extra, architecture: Self.architecture)
        }
        let gap = try edited { tensors in
            for key in tensors.keys where key.hasPrefix("blocks.1.") { tensors[key] = nil }
        }
        #expect(throws: RuntimeError.blockIndices(file: "edited.safetensors", found: [0, 2])) {
            try ViTParameters(file: gap, architecture: Self.architecture)
        }
    }

    @Test func layerMapMustNameStoredBlocks() throws {
        let (model, _) = try Fixtures.load("weight-shared")
        #expect(throws: RuntimeError.layerMap(map: [0, 3], blocks: 3)) {
            try ViTModel(parameters: model.parameters, layerMap: [0, 3])
        }
        #expect(throws: RuntimeError.layerMap(map: [], blocks: 3)) {
            try ViTModel(parameters: model.parameters, layerMap: [])
        }
    }
}
