import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregResolver
import LgregRuntime
import LgregTestSupport
import LgregZoo
import SafeTensors
import Testing

@testable import LgregImport

/// The checkpoints written by `Python/make_import_fixtures.py` (PyTorch 2.15, timm 1.0.31): tiny ViTs (16 px
/// images, 4 px patches, width 16, 2 heads, 10 classes), each beside the logits PyTorch computes.
enum ImportFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static func io(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: path("\(name).io.safetensors"))
    }
    /// The width 16 of the fixtures is not a multiple of DeiT's head width 64, so every import names its heads.
    static let options = LayoutOptions(heads: 2)
}

/// Imports `file` through `layout` into a temporary archive, reads it back as `publish` would, and returns it.
func importArchive(
    _ file: String, layout: CheckpointLayout, key: String? = nil, options: LayoutOptions = ImportFixtures.options,
    into directory: TemporaryDirectory
) throws -> ExtractedLearngene {
    let output = directory.appending("imported.lgz")
    try CheckpointImport.run(
        .init(
            path: ImportFixtures.path(file), layout: layout, key: key, options: options,
            name: "imported", output: output, toolVersion: "lgreg test"))
    return try LearngeneArchive.read(output)
}

/// The logits of the network the learngene was trained as (the Aux-Net, or the plain model itself), run by the
/// runtime through the application layer's `ViTModel(desNet:source:)`.
func trainedNetworkLogits(_ archive: ExtractedLearngene, images: [Float], batch: Int) throws -> [Float] {
    let source = ManifestSource(archive)
    let depth = archive.manifest.kind == .plain ? archive.manifest.layers.count : archive.manifest.schedule.depth
    let net = try Materializer.plan(source, depth: depth, strategy: .trainedNetwork(of: source))
    let model = try ViTModel(desNet: net, source: source)
    return try ViTRunner(model: model, maxBatch: batch).logits(images: images, batch: batch)
}

/// Expects the trained network of `archive`, run on the fixture's images, to give the fixture's `key` logits to 1e-4.
func expectFixtureLogits(
    _ archive: ExtractedLearngene, fixture: String, key: String = "logits", _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let io = try ImportFixtures.io(fixture)
    let logits = try trainedNetworkLogits(archive, images: try io.floats("images"), batch: 2)
    expectClose(logits, try io.floats(key), absolute: 1e-4, what, sourceLocation: sourceLocation)
}

@Suite struct ImportTests {
    /// The official SWS checkpoint dict (model, optimizer, lr_scheduler, epoch, model_ema, scaler, args as an
    /// argparse.Namespace) becomes an SWS learngene whose Aux-Net gives PyTorch's logits.
    @Test func swsOfficialCheckpointGivesPyTorchLogits() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("sws-aux.pth", layout: .swsOfficial, into: directory)
        let manifest = archive.manifest
        #expect(manifest.kind == .sws)
        #expect(manifest.schedule.layersPerStage == [3, 3, 4, 3, 3])
        #expect(
            manifest.architecture
                == ViTArchitecture(
                    imageSize: 16, patchSize: 4, inChannels: 3, width: 16, heads: 2, mlpRatio: 4, classes: 10,
                    classToken: false, pooling: .avgNormFirst, layerNormEps: 1e-5, qkvBias: true))
        let (digest, _) = try Digest.ofFile(URL(fileURLWithPath: ImportFixtures.path("sws-aux.pth")))
        #expect(
            manifest.provenance.source
                == .init(file: "sws-aux.pth", digest: digest, layout: "sws-official", key: "model"))
        #expect(manifest.provenance.trained)

        try expectFixtureLogits(archive, fixture: "sws-aux", "SWS Aux-Net logits against PyTorch")
    }

    /// `--key model_ema` takes the EMA weights, which give the EMA model's logits (and not the model's).
    @Test func modelEMAKeyTakesTheEMAWeights() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("sws-aux.pth", layout: .swsOfficial, key: "model_ema", into: directory)
        #expect(archive.manifest.provenance.source?.key == "model_ema")
        try expectFixtureLogits(archive, fixture: "sws-aux", key: "logits_ema", "EMA Aux-Net logits against PyTorch")
        let io = try ImportFixtures.io("sws-aux")
        #expect(
            zip(try io.floats("logits_ema"), try io.floats("logits")).contains { abs($0 - $1) > 1e-2 },
            "the EMA weights differ from the model's")
    }

    /// The depth-14 Des-Net materialized from the import and exported for timm holds exactly the tensors of the
    /// Des-Net timm builds by the official rule and loads strictly (same names, shapes and values), and gives
    /// its logits.
    @Test func desNet14ExportMatchesTimm() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("sws-aux.pth", layout: .swsOfficial, into: directory)
        let source = ManifestSource(archive)
        let net = try Materializer.plan(source, depth: 14, strategy: try Strategy(.cyclic))
        let folder = directory.appending("d14")
        try TimmExport.write(net, to: folder, tool: "lgreg test")
        let export = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        let io = try ImportFixtures.io("sws-aux")
        let expected = io.tensors.filter { $0.name.hasPrefix("d14.") }
        #expect(Set(export.tensors.map(\.name)) == Set(expected.map { String($0.name.dropFirst(4)) }))
        for tensor in expected {
            let name = String(tensor.name.dropFirst(4))
            #expect(try export.info(name).shape == tensor.shape, "\(name)")
            #expect(try export.floats(name) == (try io.floats(tensor.name)), "\(name) holds timm's values")
        }
        let model = try ViTModel(path: export.path, architecture: net.architecture)
        let logits = try ViTRunner(model: model, maxBatch: 2).logits(images: try io.floats("images"), batch: 2)
        expectClose(logits, try io.floats("d14_logits"), absolute: 1e-4, "Des-Net-14 logits against timm")
    }

    /// The TLEG Aux-Net (θ_A from *_base, θ_B from *_ilayer) becomes a tleg learngene whose Aux-Net of depth 12
    /// (θ_A + (l/12)·θ_B) gives PyTorch's logits.
    @Test func tlegOfficialCheckpointGivesPyTorchLogits() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("tleg-aux.pth", layout: .tlegOfficial, into: directory)
        #expect(archive.manifest.kind == .tleg)
        #expect(archive.manifest.schedule.layersPerStage == [12])
        #expect(archive.manifest.layers.map(\.role) == [.thetaA, .thetaB])
        try expectFixtureLogits(archive, fixture: "tleg-aux", "TLEG Aux-Net logits against PyTorch")
    }

    /// `torch.save(model.state_dict())` of a timm ViT with a class token becomes a plain learngene (cls pooling,
    /// eps 1e-6) whose model gives timm's logits.
    @Test func timmStateDictGivesTimmLogits() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("timm-cls.pth", layout: .timm, into: directory)
        #expect(archive.manifest.kind == .plain)
        #expect(archive.manifest.layers.count == 3)
        #expect(archive.manifest.architecture.pooling == .cls)
        #expect(archive.manifest.architecture.layerNormEps == 1e-6)
        #expect(archive.manifest.provenance.source?.key == nil)
        try expectFixtureLogits(archive, fixture: "timm-cls", "timm logits")
    }

    /// Tensors that share one storage at different offsets, one of them a transposed (non-contiguous) view, are
    /// read as views: the non-contiguous one gathered once, and the model gives timm's logits.
    @Test func sharedStorageAndTransposedViewAreRead() throws {
        let checkpoint = try Checkpoint.open(path: ImportFixtures.path("timm-views.pth"))
        #expect(checkpoint.tensors.first { $0.name == "head.weight" }?.shape == [10, 16])
        let directory = try TemporaryDirectory()
        let archive = try importArchive("timm-views.pth", layout: .timm, into: directory)
        #expect(archive.manifest.architecture.pooling == .avg)
        try expectFixtureLogits(archive, fixture: "timm-views", "timm (shared storage, transposed head) logits")
    }

    /// Half-precision weights saved with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL) stay F16 in the archive
    /// and give the logits of the same weights widened to F32.
    @Test func halfPrecisionProtocol4CheckpointStaysF16() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("timm-f16-protocol4.pth", layout: .timm, into: directory)
        #expect(archive.manifest.dtype == .f16)
        try expectFixtureLogits(archive, fixture: "timm-f16-protocol4", "timm float16 logits")
    }

    /// A safetensors file with timm's names imports like the checkpoint it was written from.
    @Test func safetensorsFileImportsLikeTheCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let checkpoint = try Checkpoint.open(path: ImportFixtures.path("timm-cls.pth"))
        var writer = SafeTensorsWriter()
        for tensor in checkpoint.tensors {
            try writer.add(
                tensor.name, dtype: .f32, shape: tensor.shape, bytes: try checkpoint.bytes(tensor.name, as: .f32))
        }
        try writer.write(to: directory.appending("timm-cls.safetensors"))
        let output = directory.appending("from-safetensors.lgz")
        try CheckpointImport.run(
            .init(
                path: directory.path("timm-cls.safetensors"), layout: .timm, options: ImportFixtures.options,
                name: "imported", output: output, toolVersion: "lgreg test"))
        try expectFixtureLogits(
            try LearngeneArchive.read(output), fixture: "timm-cls", "timm logits from the safetensors file")
    }

    /// The layout the names suggest, and the checkpoint's entries, as `--inspect` shows them.
    @Test func inspectionFindsTheLayoutAndTheEntries() throws {
        let sws = try CheckpointImport.inspect(
            path: ImportFixtures.path("sws-aux.pth"), key: nil, options: ImportFixtures.options)
        #expect(sws.layout == .swsOfficial)
        #expect(sws.key == "model")
        #expect(
            sws.entries.map(\.key) == ["model", "optimizer", "lr_scheduler", "epoch", "model_ema", "scaler", "args"])
        #expect(sws.entries.first { $0.key == "args" }?.summary == "opaque argparse.Namespace")
        #expect(sws.entries.first { $0.key == "epoch" }?.summary == "int 99")
        #expect(
            try CheckpointImport.inspect(path: ImportFixtures.path("tleg-aux.pth"), key: nil).layout == .tlegOfficial)
        #expect(try CheckpointImport.inspect(path: ImportFixtures.path("timm-cls.pth"), key: nil).layout == .timm)
    }

    /// The imported manifest validates against its schema (with the new provenance.source).
    @Test func importedManifestMatchesItsSchema() throws {
        let directory = try TemporaryDirectory()
        let archive = try importArchive("tleg-aux.pth", layout: .tlegOfficial, into: directory)
        let check = try validateJSON(
            String(decoding: archive.manifestBytes, as: UTF8.self), against: "learngene-manifest.schema.json")
        #expect(check.status == 0, "\(check.message)")
    }

    /// Options that contradict the checkpoint are refused, naming the option.
    @Test func contradictingOptionsAreRefused() throws {
        let directory = try TemporaryDirectory()
        #expect(
            throws: ImportError.invalidOption(
                option: "--schedule 4,4,4,4", reason: "has 4 stages; the checkpoint holds 5 stage instances")
        ) {
            _ = try importArchive(
                "sws-aux.pth", layout: .swsOfficial,
                options: LayoutOptions(schedule: try StageSchedule([4, 4, 4, 4]), heads: 2), into: directory)
        }
        #expect(
            throws: ImportError.invalidOption(
                option: "--heads",
                reason: "the width 16 is not a multiple of 64 (DeiT's head width); say how many heads the model has")
        ) {
            _ = try importArchive("sws-aux.pth", layout: .swsOfficial, options: LayoutOptions(), into: directory)
        }
        #expect(
            throws: ImportError.layoutMismatch(
                path: ImportFixtures.path("timm-cls.pth"), layout: "sws-official",
                tensor: "blocks.block.norm1.instances.0.weight",
                reason: "is missing; this is not a sws-official checkpoint")
        ) {
            _ = try importArchive("timm-cls.pth", layout: .swsOfficial, into: directory)
        }
        #expect(
            throws: ImportError.layoutMismatch(
                path: ImportFixtures.path("sws-aux.pth"), layout: "tleg-official",
                tensor: "blocks.block.norm1.instances.0.weight_base",
                reason: "is missing; this is not a tleg-official checkpoint")
        ) {
            _ = try importArchive("sws-aux.pth", layout: .tlegOfficial, into: directory)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("imported.lgz")))
    }
}
