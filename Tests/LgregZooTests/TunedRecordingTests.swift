import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import LgregTestSupport
import LgregVocabulary
import LgregZoo
import SafeTensors
import Testing

/// `lgreg record`: weights tuned elsewhere, under timm's names, recorded against the Des-Net they started from,
/// in the small store of `TunedDesNetTests`; and the tuned config's two versions.
@Suite(.serialized) struct TunedRecordingTests {
    let fixture = TunedDesNetTests()

    /// The planned Des-Net's own tensors under timm's names, one of them replaced or left out as `edit` says.
    func timmWeights(
        of net: DesNet, in folder: TemporaryDirectory,
        edit: (inout [(String, DType, [Int], [UInt8])]) -> Void = { _ in }
    ) throws -> String {
        var tensors = try net.tensors.map { tensor in
            (net.architecture.timmName(tensor.name), tensor.dtype, tensor.shape, try tensor.withBytes { Array($0) })
        }
        edit(&tensors)
        var writer = SafeTensorsWriter()
        for (name, dtype, shape, bytes) in tensors { try writer.add(name, dtype: dtype, shape: shape, bytes: bytes) }
        let path = folder.path("tuned-\(tensors.count).safetensors")
        try writer.write(to: URL(fileURLWithPath: path))
        return path
    }

    func request(_ weights: String, base: TunedRecording.Base) -> TunedRecording.Request {
        TunedRecording.Request(
            weights: weights, base: base,
            recipe: ExternalRecipe(
                trainedWith: "torch 2.5.1", settings: ["lr": .number(1e-4), "optimizer": .string("adamw")]),
            tool: "test")
    }

    @Test func recordsTimmNamedWeightsAgainstALearngeneDepth() throws {
        let folder = try TemporaryDirectory("lgreg-record")
        let (store, learngene, evalSet) = try fixture.makeStore(folder)
        let testSet = try EvalSetFile.read(path: evalSet)
        let recipe = DesNetRecipe(strategy: .cyclic(.named(.frontMidLast)))
        let net = try Materializer.plan(ManifestSource(learngene), depth: 5, strategy: recipe.strategy)
        let weights = try timmWeights(of: net, in: folder)
        let recorded = try TunedRecording.run(
            request(weights, base: .learngene(learngene, source: ManifestSource(learngene), depth: 5, recipe: recipe)),
            in: store, testSet: testSet, evalSet: evalSet, settings: EvaluationSettings(batchSize: 16))

        // The untuned Des-Net was recorded for the lineage; the tuned one points at it and at the learngene.
        let untunedTag = "aux-d5:1-cyclic-front-mid-last"
        let untuned = try #require(try store.entries().first { $0.reference == untunedTag })
        #expect(recorded.untunedDesNet == untuned.digest.description)
        #expect(recorded.learngene == learngene.digest.description)
        let weightsDigest = try Digest.ofFile(URL(fileURLWithPath: weights)).digest
        #expect(recorded.tag == "\(untunedTag)-tuned-\(weightsDigest.hex.prefix(12))")

        // Hand-worked: the weights are the planned Des-Net's own, so lgreg's figure is the Des-Net's.
        let expected = try Evaluation.run(
            ViTRunner(model: try ViTModel(desNet: net, source: ManifestSource(learngene)), maxBatch: 16), on: testSet)
        #expect(recorded.correct == expected.correct && recorded.images == 40)

        // The config: version 2, the recipe as given, no lgreg recipe; the stored weights under lgreg's names.
        let tuned = try TunedDesNet.open(recorded.tag, in: store)
        #expect(tuned.config.schemaVersion == 2 && tuned.config.recipe == nil)
        #expect(tuned.config.externalRecipe?.settings["optimizer"] == .string("adamw"))
        #expect(tuned.config.lineage.desNet == net.lineage)
        let stored = try tuned.weights(in: store)
        #expect(stored.tensors.map(\.name) == net.tensors.map(\.name))
        let configJSON = String(
            decoding: try Data(contentsOf: store.layout.blob(tuned.entry.image.config.digest)), as: UTF8.self)
        let validation = try validateJSON(configJSON, against: "tuned-desnet-config.schema.json")
        #expect(validation.status == 0, "\(validation.message)")

        // verify re-measures it like any tuned Des-Net.
        let verifier = Verifier(store: store, settings: .init(evaluation: EvaluationSettings(batchSize: 16)))
        let verified = try verifier.verify([recorded.tag])
        #expect(verified.status == .ok, "\(verified.learngenes.flatMap(\.checks).map(\.detail))")
    }

    @Test func refusesWeightsThatDoNotFitTheBaseAndWritesNothing() throws {
        let folder = try TemporaryDirectory("lgreg-record-refused")
        let (store, learngene, evalSet) = try fixture.makeStore(folder)
        let testSet = try EvalSetFile.read(path: evalSet)
        let net = try Materializer.plan(ManifestSource(learngene), depth: 5, strategy: .cyclic(.named(.frontMidLast)))
        let desNet = try StoredDesNet.record(net, from: learngene, in: store, tool: "test")
        guard case .derived(let entry) = try ResolvedEntry.resolve(desNet.tag, in: store) else {
            Issue.record("\(desNet.tag) is not a derived entry")
            return
        }
        let opened = try StoredDesNet.open(entry, in: store)
        let before = try store.entries().map(\.reference)
        let cases: [(String, (inout [(String, DType, [Int], [UInt8])]) -> Void, String)] = [
            (
                "head.weight",
                { t in
                    t = t.map { $0.0 == "head.weight" ? ($0.0, $0.1, [4, 8], [UInt8](repeating: 0, count: 128)) : $0 }
                }, "has shape [4, 8]; the base has [3, 8]"
            ),
            (
                "blocks.4.mlp.fc2.bias", { $0.removeAll { $0.0 == "blocks.4.mlp.fc2.bias" } },
                "is missing (the base has it with shape [8], F32)"
            ),
            (
                "extra", { $0.append(("extra", .f32, [1], [0, 0, 0, 0])) },
                "is not a tensor of the base Des-Net (depth 5)"
            ),
            (
                "pos_embed",
                { t in t = t.map { $0.0 == "pos_embed" ? ($0.0, .f16, $0.2, Array($0.3.prefix($0.3.count / 2))) : $0 }
                },
                "is F16; the base holds it as F32 (save it as F32: .float())"
            ),
        ]
        for (tensor, edit, problem) in cases {
            let weights = try timmWeights(of: net, in: folder, edit: edit)
            #expect(
                throws: ZooError.weightsDoNotFitBase(file: weights, base: desNet.tag, tensor: tensor, problem: problem)
            ) {
                try TunedRecording.run(
                    request(weights, base: .desNet(opened, digest: desNet.digest)), in: store, testSet: testSet,
                    evalSet: evalSet, settings: EvaluationSettings(batchSize: 16))
            }
            #expect(try store.entries().map(\.reference) == before)
        }
    }

    @Test func tunedConfigVersionsAreReadAsTheySay() throws {
        let folder = try TemporaryDirectory("lgreg-record-config")
        let (_, learngene, evalSet) = try fixture.makeStore(folder)
        let net = try Materializer.plan(ManifestSource(learngene), depth: 5, strategy: .cyclic(.named(.frontMidLast)))
        let own = try fixture.config(for: net, weights: try TunedDesNet.initialWeights(of: net), evalSet: evalSet)
        // lgreg's own recipe is still written as version 1, byte for byte what earlier builds wrote.
        let ownJSON = try JSONSerialization.jsonObject(with: try own.encoded()) as! [String: Any]
        #expect(ownJSON["schemaVersion"] as? Int == 1 && ownJSON["externalRecipe"] == nil)
        #expect(try TunedDesNet.Config.decode(try own.encoded(), file: "own") == own)

        var external = own
        external.recipe = nil
        external.externalRecipe = ExternalRecipe(trainedWith: nil, settings: ["steps": .number(3)])
        external.schemaVersion = 2
        #expect(try TunedDesNet.Config.decode(try external.encoded(), file: "external") == external)

        func refusal(_ config: TunedDesNet.Config) throws -> String? {
            do { _ = try TunedDesNet.Config.decode(try config.encoded(), file: "c.json") } catch let error as ZooError {
                return error.description
            }
            return nil
        }
        var oldVersion = external
        oldVersion.schemaVersion = 1
        #expect(
            try refusal(oldVersion)
                == "c.json: not a tuned Des-Net config lgreg can read: externalRecipe needs schemaVersion 2")
        var both = external
        both.recipe = own.recipe
        #expect(
            try refusal(both)
                == "c.json: not a tuned Des-Net config lgreg can read: it needs exactly one of recipe and externalRecipe"
        )
        var future = own
        future.schemaVersion = 3
        #expect(
            try refusal(future)
                == "c.json: not a tuned Des-Net config lgreg can read: schemaVersion is 3; this lgreg reads versions 1 to 2"
        )
    }
}
