import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregResolver
import LgregRuntime
import LgregStore
import LgregTestSupport
import LgregZoo
import SafeTensors
import Testing

/// Tuned Des-Nets in a real store, built by hand: a small learngene with known declared results, a Des-Net's
/// weights recorded as a tuned entry (measured on a small eval-set file), and what the store, verify, gc and the
/// accuracy report make of it.
@Suite(.serialized) struct TunedDesNetTests {
    let architecture = ViTArchitecture(
        imageSize: 8, patchSize: 4, inChannels: 1, width: 8, heads: 2, classes: 3, classToken: false,
        pooling: .avgNormFirst)

    /// Three declared test-set results: cyclic at depth 5, random-assigned at depth 5 over two seeds.
    static let testSetResults: [LearngeneManifest.DeclaredResult] = [
        .init(
            depth: 5, strategy: "cyclic", order: "front-mid-last", tunedEpochs: 0, evalSet: "fashion-mnist-test",
            top1: 0.40),
        .init(depth: 5, strategy: "random", tunedEpochs: 0, evalSet: "fashion-mnist-test", top1: 0.30),
        .init(depth: 5, strategy: "random", tunedEpochs: 0, evalSet: "fashion-mnist-test", top1: 0.36),
    ]

    /// A store holding learngene `aux:1` (SWS, schedule 2,1,2, its archive `aux.lgz`) whose manifest declares
    /// `results`, and an eval-set file of 40 random 8×8 images.
    func makeStore(_ folder: TemporaryDirectory, results: [LearngeneManifest.DeclaredResult] = testSetResults) throws
        -> (LearngeneStore, StoredLearngene, evalSet: String)
    {
        let template = LearngeneManifest(
            name: "aux", version: "1", description: "test", license: "Apache-2.0", kind: .sws,
            architecture: architecture,
            schedule: try StageSchedule([2, 1, 2]), dtype: .f32, provenance: .init(trained: false, toolVersion: "test"),
            results: results)
        let model = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: architecture, layers: 3, seed: 7), label: "model")
        let archive = folder.appending("aux.lgz")
        _ = try LearngeneArchive.pack(template: template, model: model, to: archive)
        let store = try LearngeneStore(root: folder.appending("store"), mode: .create)
        try store.publish(archive: archive)
        var rng = SplitMix64(seed: 11)
        let images = (0..<40 * 64).map { _ in UInt8(rng.uniform(below: 256)) }
        let labels = (0..<40).map { _ in Int32(rng.uniform(below: 3)) }
        let data = try ImageDataSet(
            source: "test", channels: 1, height: 8, width: 8, pixels: .u8(images), labels: labels, mean: [0.5],
            std: [0.25])
        let evalSet = folder.path("eval.safetensors")
        try EvalSetFile.write(data, to: URL(fileURLWithPath: evalSet))
        return (store, try store.resolve("aux:1"), evalSet)
    }

    /// A config recording `weights` as tuned for `epochs` epochs, its result measured on `evalSet`.
    func config(for net: DesNet?, weights: SafeTensorsFile, evalSet: String, epochs: Int = 1) throws
        -> TunedDesNet.Config
    {
        let measured = try TunedDesNet.measure(
            weights, architecture: architecture, on: try EvalSetFile.read(path: evalSet),
            settings: EvaluationSettings(batchSize: 16), label: "test")
        let lineage =
            net.map {
                TunedDesNet.Lineage(
                    initialization: .learngene, desNet: $0.lineage, learngeneReference: "aux:1",
                    untunedDesNetDigest: nil)
            }
            ?? TunedDesNet.Lineage(
                initialization: .scratch, desNet: nil, learngeneReference: nil, untunedDesNetDigest: nil)
        let recipe = TunedDesNet.Recipe(
            epochs: epochs, learningRate: 5e-5, minLearningRate: 1e-6, batchSize: 8, weightDecay: 0.05, warmupEpochs: 0,
            seed: 0,
            labelSmoothing: 0.1, dropPath: 0.1, augmented: true, dataset: "fashion-mnist:train", images: 64,
            dataDigest: Digest.of(Data("images".utf8)).description)
        return TunedDesNet.Config(
            architecture: architecture, depth: net?.depth ?? 4, lineage: lineage, recipe: recipe,
            result: .init(evalSet: evalSet, result: measured), tool: "test")
    }

    func weightsData(_ file: SafeTensorsFile) throws -> Data {
        var writer = SafeTensorsWriter()
        for tensor in file.tensors {
            try writer.add(
                tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: Array(try file.bytes(tensor.name)))
        }
        return try writer.serialized()
    }

    @Test func recordedTunedDesNetIsVerifiedKeptByGCAndReported() throws {
        let folder = try TemporaryDirectory("lgreg-tuned")
        let (store, learngene, evalSet) = try makeStore(folder)
        let net = try Materializer.plan(ManifestSource(learngene), depth: 5, strategy: .cyclic(.named(.frontMidLast)))
        let materialized = try StoredDesNet.record(net, from: learngene, in: store, tool: "test")
        let initial = try TunedDesNet.initialWeights(of: net)
        let weights = try weightsData(initial)
        var tuned = try config(for: net, weights: initial, evalSet: evalSet)
        tuned.lineage.untunedDesNetDigest =
            TunedDesNet.recordedUntuned(net, learngene: learngene, in: store)?.description
        #expect(tuned.lineage.untunedDesNetDigest == materialized.digest.description)
        let tag = TunedDesNet.defaultTag(net, learngene: learngene.manifest, seed: 0, epochs: 1)
        #expect(tag == "aux-d5:1-cyclic-front-mid-last-ft1")
        let digest = try TunedDesNet.record(tuned, weights: weights, base: learngene.digest, in: store, tag: tag)

        // The manifest: its own weight blob (the bytes given), the learngene as its base, the config as written.
        let image = try store.imageManifest(digest)
        #expect(image.artifactType == TunedDesNet.artifactType)
        #expect(image.annotations?[OCIAnnotation.baseDigest] == learngene.digest.description)
        #expect(
            image.layers.count == 1 && image.layers[0].digest == Digest.of(weights)
                && image.layers[0].size == weights.count)
        #expect(try Data(contentsOf: store.layout.blob(image.layers[0].digest)) == weights)
        let opened = try TunedDesNet.open(tag, in: store)
        #expect(opened.config == tuned)
        let configJSON = String(decoding: try Data(contentsOf: store.layout.blob(image.config.digest)), as: UTF8.self)
        let validation = try validateJSON(configJSON, against: "tuned-desnet-config.schema.json")
        #expect(validation.status == 0, "\(validation.message)")

        // What the store says was derived from the learngene: the materialized and the tuned Des-Net.
        #expect(
            try store.entries().filter { $0.base == learngene.digest }.map(\.reference).sorted()
                == [materialized.tag, tag].sorted())
        #expect(try TunedDesNet.all(in: store).map(\.reference) == [tag])

        // The accuracy report: the declared results untuned, the recorded top-1 tuned.
        let report = try AccuracyCollection.report(["aux:1"], in: store)
        let cyclic = try #require(report.rows.first { report.series(of: $0)?.strategy == "cyclic" })
        #expect(cyclic.untuned?.mean == 0.40 && cyclic.tuned?.mean == tuned.result.top1 && cyclic.tunedEpochs == 1)
        let random = try #require(report.rows.first { report.series(of: $0)?.strategy == "random" })
        expectClose(
            [random.untuned?.mean ?? -1, random.untuned?.min ?? -1, random.untuned?.max ?? -1], [0.33, 0.30, 0.36],
            absolute: 1e-12, "random over two seeds")
        #expect(random.untuned?.count == 2 && random.tuned == nil)
        #expect(report.rows.allSatisfy { $0.storedParameters == learngene.manifest.parameters?.stored })

        // verify re-measures the stored weights: the same figure.
        let verifier = Verifier(store: store, settings: .init(evaluation: EvaluationSettings(batchSize: 16)))
        let verified = try verifier.verify([tag])
        #expect(
            verified.learngenes.count == 1 && verified.status == .ok,
            "\(verified.learngenes.flatMap(\.checks).map(\.detail))")
        let result = try #require(verified.learngenes.first?.checks.first { $0.check == "result" })
        #expect(result.measuredTop1 == tuned.result.top1 && result.declaredTop1 == tuned.result.top1)
        #expect(verified.learngenes.first?.checks.map(\.check) == ["blobs", "config", "learngene", "result"])

        // A recorded top-1 the weights do not reach is a mismatch; the same weights are one blob.
        var wrong = tuned
        wrong.result.top1 += 0.05
        try TunedDesNet.record(wrong, weights: weights, base: learngene.digest, in: store, tag: "aux-d5:wrong")
        let mismatch = try verifier.verify(["aux-d5:wrong"])
        #expect(mismatch.status == .mismatch)
        #expect(mismatch.learngenes.first?.checks.last?.status == .mismatch)

        // From scratch: no base, a lineage that names no learngene, verified the same way.
        let scratchWeights = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: architecture, layers: 4, seed: 3), label: "scratch")
        try TunedDesNet.record(
            try config(for: nil, weights: scratchWeights, evalSet: evalSet, epochs: 3),
            weights: try weightsData(scratchWeights), base: nil,
            in: store, tag: TunedDesNet.scratchTag(arch: "/some/where/My Arch.json", depth: 4, seed: 0, epochs: 3))
        let scratchTag = "scratch-my-arch-d4:s0-ft3"
        #expect(
            try store.imageManifest(try store.resolveDigest(scratchTag)).annotations?[OCIAnnotation.baseDigest] == nil)
        let scratch = try verifier.verify([scratchTag])
        #expect(scratch.status == .ok, "\(scratch.learngenes.flatMap(\.checks).map(\.detail))")
        let scratchReport = try AccuracyCollection.report(["scratch-my-arch-d4"], in: store)
        #expect(
            scratchReport.series.map(\.label) == ["Scratch 3 ep"]
                && scratchReport.sources.map(\.reference) == ["scratch-my-arch"])
        #expect(scratchReport.rows.first?.storedParameters == architecture.parameterCount(depth: 4))

        // gc keeps every blob a tag reaches; removing both tags of the shared weights lets it go.
        let weightsBlob = store.layout.blob(Digest.of(weights))
        _ = try store.collectGarbage(grace: 0, dryRun: false)
        #expect(FileManager.default.fileExists(atPath: weightsBlob.path))
        try store.remove("aux-d5:wrong")
        _ = try store.collectGarbage(grace: 0, dryRun: false)
        #expect(FileManager.default.fileExists(atPath: weightsBlob.path))
        #expect(try verifier.verify([tag]).status == .ok)
        // Removing the learngene leaves what was derived from it, which the store still lists.
        try store.remove("aux:1")
        #expect(
            try store.entries().filter { $0.base == learngene.digest }.map(\.reference).sorted()
                == [materialized.tag, tag].sorted())
        let orphan = try verifier.verify([tag])
        #expect(orphan.status == .ok)
        #expect(orphan.learngenes.first?.checks.first { $0.check == "learngene" }?.detail.contains("orphaned") == true)
        try store.remove(tag)
        _ = try store.collectGarbage(grace: 0, dryRun: false, pruneDangling: true)
        #expect(!FileManager.default.fileExists(atPath: weightsBlob.path))
    }

    @Test func aConfigOfAnotherVersionOrShapeIsRefused() throws {
        for (bytes, fragment) in [
            (#"{"schemaVersion": 3}"#, "schemaVersion is 3"), ("[1]", "not a JSON object"),
            (#"{"schemaVersion": 1}"#, "keyNotFound"),
        ] {
            #expect {
                try TunedDesNet.Config.decode(Data(bytes.utf8), file: "blob")
            } throws: { error in
                guard case .invalidTunedConfig(let file, let reason) = error as? ZooError else { return false }
                return file == "blob" && reason.contains(fragment)
            }
        }
    }

    @Test func defaultTagsStayValid() throws {
        #expect(
            TunedDesNet.scratchTag(arch: "fmnist-tiny", depth: 12, seed: 0, epochs: 10)
                == "scratch-fmnist-tiny-d12:s0-ft10")
        let folder = try TemporaryDirectory("lgreg-tuned-tags")
        let (_, learngene, _) = try makeStore(folder)
        let random = try Materializer.plan(ManifestSource(learngene), depth: 6, strategy: .randomAssigned, seed: 4)
        // Random-assigned carries its seed already; a cyclic Des-Net tuned with another seed gets one.
        #expect(
            TunedDesNet.defaultTag(random, learngene: learngene.manifest, seed: 4, epochs: 1)
                == "aux-d6:1-random-s4-ft1")
        let cyclic = try Materializer.plan(
            ManifestSource(learngene), depth: 6, strategy: .cyclic(.named(.frontMidLast)))
        #expect(
            TunedDesNet.defaultTag(cyclic, learngene: learngene.manifest, seed: 2, epochs: 3)
                == "aux-d6:1-cyclic-front-mid-last-s2-ft3")
        for tag in [
            TunedDesNet.defaultTag(cyclic, learngene: learngene.manifest, seed: 2, epochs: 3),
            TunedDesNet.scratchTag(arch: "Ä/ü.json", depth: 1, seed: 9, epochs: 1),
        ] {
            #expect(throws: Never.self) { try LearngeneStore.checkTag(tag) }
        }
    }

    @Test func randomAssignedResultsOfSeveralSeedsAreDeclaredSideBySideAndVerified() throws {
        let folder = try TemporaryDirectory("lgreg-declared-seeds")
        _ = try makeStore(folder, results: [])
        let evalSet = folder.path("eval.safetensors")
        let data = try EvalSetFile.read(path: evalSet)
        let settings = EvaluationSettings(batchSize: 16)
        var current = folder.path("aux.lgz")
        var measured: [Int: Double] = [:]
        // Seeds 1 and 2 give different maps at depth 8, so a verify that ignored the seed would rebuild another net.
        let opened = try OpenedLearngene.open(current, store: { throw ZooError.nothingToVerify })
        let maps = try [1, 2].map {
            try Materializer.plan(opened.source, depth: 8, strategy: .randomAssigned, seed: $0).lineage.layerMap
        }
        #expect(maps[0] != maps[1])
        for (step, seed) in [1, 2, 2].enumerated() {
            let rows = try DesNetEvaluation.evaluate(
                try OpenedLearngene.open(current, store: { throw ZooError.nothingToVerify }).source, depths: [8],
                recipe: DesNetRecipe(strategy: .randomAssigned, seed: UInt64(seed)), on: data, settings: settings)
            measured[seed] = Double(rows[0].result.correct) / Double(rows[0].result.images)
            let next = folder.path("aux.step\(step).lgz")
            try ResultDeclaration.write(
                rows, strategy: .randomAssigned, seed: UInt64(seed), evalSet: evalSet,
                archive: try LearngeneArchive.read(URL(fileURLWithPath: current)),
                to: URL(fileURLWithPath: next))
            current = next
        }
        // Declaring seed 2 again replaced its result; seed 1's stays beside it.
        let declared = try LearngeneArchive.read(URL(fileURLWithPath: current)).manifest.results
        #expect(declared.map(\.seed) == [1, 2] && declared.map(\.top1) == [measured[1]!, measured[2]!])
        let store = try LearngeneStore(root: folder.appending("declared-store"), mode: .create)
        try store.publish(archive: URL(fileURLWithPath: current))
        let report = try Verifier(store: store, settings: .init(evaluation: settings)).verify(["aux:1"])
        let results = report.learngenes.first?.checks.filter { $0.check == "result" } ?? []
        #expect(report.status == .ok && results.count == 2, "\(results.map(\.detail))")
        #expect(results.map(\.measuredTop1) == [measured[1]!, measured[2]!])
    }
}
