import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregRuntime
import LgregTestSupport
import SafeTensors
import Testing

@testable import LgregResolver

/// The timm export against timm's own state_dict naming and timm's own `local-dir:` loader (fixtures written by
/// timm, see Python/), the config against its schema (checked by Python's jsonschema), the model card.
@Suite struct ExportTests {

    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The fields mirror the JSON keys the Python fixture wrote.
    struct Fixture: Decodable {
        struct Config: Decodable {
            struct Args: Decodable {
                var fc_norm: Bool
                var depth: Int
            }
            var model_args: Args
            var state_dict: [[Entry]]
        }
        enum Entry: Decodable {
            case name(String)
            case shape([Int])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let name = try? container.decode(String.self) {
                    self = .name(name)
                } else {
                    self = .shape(try container.decode([Int].self))
                }
            }
        }
        var configs: [Config]
    }

    @Test(arguments: [Pooling.avgNormFirst, .avg]) func exportMatchesTimmStateDict(pooling: Pooling) throws {
        let data = try Data(
            contentsOf: repositoryRoot.appendingPathComponent("Tests/LgregResolverTests/Fixtures/timm-state-dict.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let config = try #require(fixture.configs.first { $0.model_args.fc_norm == (pooling == .avg) })
        let expected: [(String, [Int])] = config.state_dict.map { entry in
            guard case .name(let name) = entry[0], case .shape(let shape) = entry[1] else {
                fatalError("fixture entry")
            }
            return (name, shape)
        }

        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let net = try Materializer.plan(
            source, depth: config.model_args.depth, strategy: .cyclic(.named(.frontMidLast)),
            pooling: pooling, allowDropStages: true)
        let folder = try TemporaryDirectory("lgreg-export")
        let directory = folder.url
        var reports: [(Int, Int)] = []
        try TimmExport.write(net, to: directory, tool: "lgreg test") { reports.append(($0, $1)) }
        #expect(reports.count == net.tensors.count)
        #expect(reports.last?.0 == net.byteCount)
        #expect(reports.last?.1 == net.byteCount)

        let model = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        #expect(model.tensors.map(\.name) == expected.map(\.0), "keys in timm's state_dict order")
        #expect(model.tensors.map(\.shape) == expected.map(\.1))
        #expect(model.metadata == ["format": "pt"])
        // Block 2 of a depth-3 map over 5 stages (drop-stages allowed) is stage 2; the final norm keeps its values.
        #expect(try model.copy("blocks.2.mlp.fc1.weight") == source.layers[2].copy("mlp.fc1.weight"))
        #expect(try model.copy(pooling == .avg ? "fc_norm.weight" : "norm.weight") == source.shared.copy("norm.weight"))

        let written = try TimmConfig.read(from: directory.appendingPathComponent("config.json"))
        #expect(written.architecture == "vit_base_patch16_224", "a registered name; model_args override its shape")
        #expect(written.pretrainedConfig.inputSize == [1, 8, 8] && written.pretrainedConfig.numClasses == 3)
        #expect(
            written.pretrainedConfig.mean == [0.2860] && written.pretrainedConfig.std == [0.3530],
            "one channel: Fashion-MNIST's")
        #expect(
            written.pretrainedConfig.firstConv == "patch_embed.proj" && written.pretrainedConfig.classifier == "head")
        #expect(written.lgreg.normalization == .fashionMNIST)
        #expect(written.modelArgs.fcNorm == (pooling == .avg))
        #expect(written.modelArgs.globalPool == "avg")
        #expect(!written.modelArgs.classToken)
        #expect(written.lgreg.pooling == pooling)
        #expect(written.lgreg.lineage.layerMap == [0, 1, 2])
        #expect(written.lgreg.parameters == MemorySource.tiny.parameterCount(depth: 3))
        let json = try String(contentsOf: directory.appendingPathComponent("config.json"), encoding: .utf8)
        let (status, message) = try validateJSON(json, against: "timm-config.schema.json")
        #expect(status == 0, "\(message)")
    }

    /// timm itself builds the model from config.json and loads model.safetensors with strict=True
    /// (Examples/pytorch/load_in_timm.py), for both pooling orders in one export folder each.
    @Test(.enabled(if: timmAvailable, "needs torch and timm")) func timmLoadsTheExportStrictly() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        for pooling in [Pooling.avgNormFirst, .avg] {
            let net = try Materializer.plan(
                source, depth: 7, strategy: .cyclic(.named(.frontLastMid)), head: .new, classes: 6, pooling: pooling)
            let folder = try TemporaryDirectory("lgreg-export")
            let directory = folder.url
            try TimmExport.write(net, to: directory, tool: "lgreg test")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", repositoryRoot.appendingPathComponent("Examples/pytorch/load_in_timm.py").path,
                directory.path,
            ]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.contains("missing [], unexpected []"), "\(text)")
            #expect(text.contains("finite = True"), "\(text)")
            #expect(text.contains("fc_norm=\(pooling == .avg ? "True" : "False")"), "\(text)")
            #expect(text.contains("6 classes"), "\(text)")
        }
    }

    @Test func deitBaseShapedDesNetsUseTimmsRegisteredName() throws {
        var base = try ViTArchitecture.preset("deit-base")
        base.classes = 1000
        let config = TimmConfig(
            DesNet(
                architecture: base, depth: 14, blocks: [],
                lineage: Lineage(
                    learngeneDigest: nil, learngeneKind: .sws, strategy: .cyclic, order: "front-mid-last", seed: nil,
                    layerMap: [], head: .keep), tensors: []), tool: "lgreg test")
        #expect(config.architecture == "vit_base_patch16_224")
        #expect(config.modelArgs.depth == 14)
        #expect(config.modelArgs.fcNorm == false)
        #expect(config.pretrainedConfig.inputSize == [3, 224, 224])
        #expect(
            config.pretrainedConfig.mean == [0.485, 0.456, 0.406]
                && config.pretrainedConfig.std == [0.229, 0.224, 0.225], "three channels: ImageNet's")
        #expect(config.pretrainedConfig.cropPct == 0.875 && config.lgreg.normalization == .imageNet)
        let small = TimmConfig(
            DesNet(
                architecture: try ViTArchitecture.preset("deit-small"), depth: 9, blocks: [],
                lineage: config.lgreg.lineage, tensors: []),
            tool: "lgreg test")
        #expect(small.architecture == "vit_small_patch16_224")
    }

    @Test func unknownConfigVersionIsRefused() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let url = folder.appending("config.json")
        try Data(#"{"architecture": "vit_custom", "lgreg": {"schemaVersion": 1}}"#.utf8).write(to: url)
        #expect(
            throws: ResolverError.invalidFile(
                path: url.path, field: "lgreg.schemaVersion", reason: "is 1; this lgreg reads version 2 only")
        ) {
            try TimmConfig.read(from: url)
        }
        try Data(#"{"architecture": "vit_base_patch16_224", "lgreg": {"schemaVersion": 3}}"#.utf8).write(to: url)
        #expect(
            throws: ResolverError.invalidFile(
                path: url.path, field: "lgreg.schemaVersion", reason: "is 3; this lgreg reads version 2 only")
        ) {
            try TimmConfig.read(from: url)
        }
        try Data(#"{"architecture": "vit_custom"}"#.utf8).write(to: url)
        #expect(throws: ResolverError.invalidFile(path: url.path, field: "lgreg.schemaVersion", reason: "is missing")) {
            try TimmConfig.read(from: url)
        }
    }

    /// Issue 10 case 8: the model and config of one export replace those of another together, and nothing
    /// else is left in the parent folder.
    @Test func aSecondExportReplacesThePairAsAWhole() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let folder = try TemporaryDirectory("lgreg-export")
        let output = folder.appending("des")
        for depth in [6, 15] {
            try TimmExport.write(
                try Materializer.plan(source, depth: depth, strategy: .cyclic(.named(.frontMidLast))), to: output,
                tool: "lgreg test")
            #expect(try TimmConfig.read(from: output.appendingPathComponent("config.json")).modelArgs.depth == depth)
            let model = try SafeTensorsFile(path: output.appendingPathComponent("model.safetensors").path)
            #expect(
                model.contains("blocks.\(depth - 1).norm1.weight") && !model.contains("blocks.\(depth).norm1.weight"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["des"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == [
                "README.md", "config.json", "model.safetensors",
            ])
    }

    @Test func aFolderHoldingOtherFilesIsNotExportedInto() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let folder = try TemporaryDirectory("lgreg-export")
        try Data("keep me".utf8).write(to: folder.appending("notes.txt"))
        let net = try Materializer.plan(source, depth: 6, strategy: .cyclic(.named(.frontMidLast)))
        #expect(
            throws: FileSystemError(
                path: folder.url.path,
                reason: "holds 'notes.txt', which lgreg did not write there; the folder is replaced as a "
                    + "whole, so give a new or empty folder (or one holding only README.md and config.json and model.safetensors)",
                kind: .refused)
        ) {
            try TimmExport.write(net, to: folder.url, tool: "lgreg test")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["notes.txt"])
    }

    /// Issue 10 case 15, for the export's own config: a key twice is refused, naming it.
    @Test func aConfigWithADuplicateKeyIsRefused() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let url = folder.appending("config.json")
        try Data(
            #"{"architecture": "vit_custom", "architecture": "vit_base_patch16_224", "lgreg": {"schemaVersion": 2}}"#
                .utf8
        ).write(to: url)
        do {
            _ = try TimmConfig.read(from: url)
            Issue.record("a duplicate key was accepted")
        } catch let ResolverError.invalidFile(_, field, reason) {
            #expect(
                field == "architecture" && reason.contains("appears twice in one object"),
                "field \(field ?? "nil"): \(reason)")
        }
    }

    // MARK: timm's own loader

    /// What `Python/timm_local_dir_fixture.py` printed for the two exports of `localDirExports()`.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct LocalDirFixture: Decodable {
        struct Export: Decodable {
            struct DataConfig: Decodable {
                var input_size: [Int]
                var mean: [Double]
                var std: [Double]
                var crop_pct: Double
            }
            var pooling: String
            var architecture: String
            var model_sha256: String
            var config_sha256: String
            var data_config: DataConfig
            var depth: Int
            var hf_hub_logits_equal: Bool
            var logits: [[Double]]
        }
        var timm: String
        var batch: Int
        var exports: [Export]
    }

    static let localDirFixture = repositoryRoot.appendingPathComponent(
        "Tests/LgregResolverTests/Fixtures/timm-local-dir.json")

    /// An fmnist-tiny learngene (28×28×1, patch 4, width 64, 2 heads, 10 classes) of 5 SWS layers whose values
    /// an integer hash spreads over ±0.2 (biases ±0.02, LayerNorm scales 1 ± 0.2), so the logits depend on the input.
    static func fashionSource() throws -> MemorySource {
        let architecture = try ViTArchitecture.preset("fmnist-tiny")
        func file(_ specs: [TensorSpec], layer: Int, label: String) throws -> SafeTensorsFile {
            try MemorySource.file(specs, layer: layer, label: label) { t, i in
                let spread = Float((i &* 7919 &+ t &* 104_729 &+ (layer + 2) &* 1_299_709) % 2001 - 1000) / 5000
                let name = specs[t].name
                return name.hasSuffix("bias") ? spread / 10 : name.contains("norm") ? 1 + spread : spread
            }
        }
        return MemorySource(
            architecture: architecture, kind: .sws, schedule: try StageSchedule([3, 3, 4, 3, 3]),
            shared: try file(architecture.sharedTensorSpecs, layer: -1, label: "shared.safetensors"),
            layers: try (0..<5).map {
                try file(architecture.blockTensorSpecs, layer: $0, label: "layer-\($0).safetensors")
            })
    }

    /// Depth-6 Des-Nets of `fashionSource()`, one per pooling order, exported under `folder`.
    static func localDirExports(in folder: TemporaryDirectory) throws -> [(pooling: Pooling, directory: URL)] {
        let source = try fashionSource()
        return try [Pooling.avgNormFirst, .avg].map { pooling in
            let net = try Materializer.plan(
                source, depth: 6, strategy: .cyclic(.named(.frontMidLast)), pooling: pooling)
            let directory = folder.appending(pooling.rawValue)
            try TimmExport.write(net, to: directory, tool: "lgreg test")
            return (pooling, directory)
        }
    }

    /// The images the fixture script feeds timm: image b, element i = (((37 + 16·b)·i + 101·b) mod 255) / 127.5 − 1 + 0.6·(b − 1).
    static func fixtureImages(batch: Int, architecture a: ViTArchitecture) -> [Float] {
        let count = a.inChannels * a.imageSize * a.imageSize
        var images: [Float] = []
        for b in 0..<batch {
            for i in 0..<count {
                let level = Double(((37 + 16 * b) * i + 101 * b) % 255)
                images.append(Float(level / 127.5 - 1 + 0.6 * Double(b - 1)))
            }
        }
        return images
    }

    /// lgreg's logits for an export folder, run from its own files as `lgreg eval --arch DIR` would.
    static func lgregLogits(_ directory: URL, batch: Int) throws -> [Float] {
        let configURL = directory.appendingPathComponent("config.json")
        let architecture = try TimmConfig.read(from: configURL).vitArchitecture(path: configURL.path)
        let model = try ViTModel(
            path: directory.appendingPathComponent("model.safetensors").path, architecture: architecture)
        return try ViTRunner(model: model, maxBatch: batch).logits(
            images: fixtureImages(batch: batch, architecture: architecture), batch: batch)
    }

    /// CI (no torch): the export lgreg writes today is byte for byte the one timm's `local-dir:` loader read when
    /// the fixture was made, and lgreg's logits for it equal timm's to 1e-4.
    @Test func timmLocalDirLogitsMatchLgregs() throws {
        let fixture = try JSONDecoder().decode(LocalDirFixture.self, from: Data(contentsOf: Self.localDirFixture))
        let folder = try TemporaryDirectory("lgreg-export")
        let exports = try Self.localDirExports(in: folder)
        #expect(fixture.exports.map(\.pooling) == exports.map(\.pooling.rawValue))
        for ((pooling, directory), expected) in zip(exports, fixture.exports) {
            let model = try Digest.ofFile(directory.appendingPathComponent("model.safetensors")).digest.hex
            let config = try Digest.ofFile(directory.appendingPathComponent("config.json")).digest.hex
            #expect(
                model == expected.model_sha256,
                "\(pooling): model.safetensors differs from the one timm loaded; rerun the fixture script")
            #expect(
                config == expected.config_sha256,
                "\(pooling): config.json differs from the one timm loaded; rerun the fixture script")
            #expect(expected.architecture == "vit_base_patch16_224" && expected.depth == 6)
            #expect(
                expected.hf_hub_logits_equal, "timm's hf-hub: loader (served the same folder) gives the same logits")
            #expect(
                expected.data_config.input_size == [1, 28, 28] && expected.data_config.mean == [0.286]
                    && expected.data_config.std == [0.353],
                "timm resolves the normalization from pretrained_cfg")
            let logits = try Self.lgregLogits(directory, batch: fixture.batch)
            let reference = expected.logits.flatMap { $0 }
            #expect(
                reference.count == fixture.batch * 10 && reference.map(abs).max()! > 0.5,
                "the fixture's logits are not all near zero")
            let spread = (0..<10).map { c in abs(expected.logits[0][c] - expected.logits[1][c]) }.max()!
            #expect(
                spread > 0.01,
                "images 0 and 1 give different logits (largest difference \(spread)), so the input path is exercised")
            expectClose(logits, reference, absolute: 1e-4, "\(pooling): lgreg's logits vs timm's local-dir load")
        }
    }

    /// Whether `python3` imports torch and timm (a developer machine; CI has neither, and skips the test).
    static let timmAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import timm, torch, safetensors"]
        process.standardOutput = nil
        process.standardError = nil
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Live: timm's `create_model("local-dir:" + DIR, pretrained=True)` loads what lgreg writes now and gives
    /// lgreg's logits to 1e-4. With LGREG_WRITE_TIMM_FIXTURE=1 it also rewrites the fixture the CI test reads.
    @Test(.enabled(if: timmAvailable, "needs torch and timm in python3")) func timmLocalDirLoadsTheExportLive() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let exports = try Self.localDirExports(in: folder)
        var arguments =
            [repositoryRoot.appendingPathComponent("Tests/LgregResolverTests/Python/timm_local_dir_fixture.py").path]
            + exports.map(\.directory.path)
        if ProcessInfo.processInfo.environment["LGREG_WRITE_TIMM_FIXTURE"] == "1" {
            arguments += ["--fixture", Self.localDirFixture.path]
        }
        let result = try runProcess("/usr/bin/env", ["python3"] + arguments)
        #expect(result.status == 0, "\(result.err.suffix(2000))")
        let printed = try JSONDecoder().decode(LocalDirFixture.self, from: Data(result.out.utf8))
        for ((pooling, directory), timm) in zip(exports, printed.exports) {
            expectClose(
                try Self.lgregLogits(directory, batch: printed.batch), timm.logits.flatMap { $0 }, absolute: 1e-4,
                "\(pooling): lgreg's logits vs timm's local-dir load")
        }
    }

    /// `lgreg eval MODEL --arch DIR/config.json` and `--arch DIR` run an export as the preset it was made from does.
    @Test func evalTakesTheExportsOwnConfig() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        for (pooling, directory) in try Self.localDirExports(in: folder) {
            let model = directory.appendingPathComponent("model.safetensors").path
            let common = ["--limit", "64", "--json"]
            let preset = try runLgreg(["eval", model, "--arch", "fmnist-tiny", "--pooling", pooling.rawValue] + common)
            #expect(preset.status == 0, "\(preset.summary)")
            let figures = try Self.evalFigures(preset.out)
            #expect(figures.depth == 6 && figures.images == 64)
            for arch in [directory.appendingPathComponent("config.json").path, directory.path] {
                let result = try runLgreg(["eval", model, "--arch", arch] + common)
                #expect(result.status == 0, "\(result.summary)")
                let own = try Self.evalFigures(result.out)
                #expect(
                    own.depth == figures.depth && own.correct == figures.correct && own.meanLoss == figures.meanLoss,
                    "\(pooling), --arch \(arch): \(own) vs the preset's \(figures)")
            }
        }
        let stale = folder.appending("avg-norm-first/config.json")
        let text = try String(contentsOf: stale, encoding: .utf8).replacingOccurrences(
            of: "\"schemaVersion\" : 2", with: "\"schemaVersion\" : 7")
        try Data(text.utf8).write(to: stale)
        let refused = try runLgreg(["eval", folder.path("avg-norm-first/model.safetensors"), "--arch", stale.path])
        #expect(
            refused.status == 65 && refused.err.contains("lgreg.schemaVersion") && refused.err.contains("is 7"),
            "\(refused.summary)")
    }

    /// The user's path on the zoo's learngene: `materialize … --depth 14 --output d14`, then `lgreg eval
    /// d14/model.safetensors --arch d14/config.json` runs it as the preset does, and the card names the learngene.
    @Test func zooDesNet14RunsFromItsOwnConfig() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let d14 = folder.path("d14")
        let archive = repositoryRoot.appendingPathComponent("Registry/fmnist-tiny-sws.lgz").path
        let made = try runLgreg(["materialize", archive, "--depth", "14", "--output", d14])
        #expect(made.status == 0, "\(made.summary)")
        #expect(made.out.contains("\(d14)/config.json, \(d14)/README.md"))
        let common = ["--limit", "200", "--json"]
        let own = try runLgreg(["eval", d14 + "/model.safetensors", "--arch", d14 + "/config.json"] + common)
        let preset = try runLgreg(["eval", d14 + "/model.safetensors", "--arch", "fmnist-tiny"] + common)
        #expect(own.status == 0 && preset.status == 0, "\(own.summary)\n\(preset.summary)")
        let figures = try Self.evalFigures(own.out)
        let expected = try Self.evalFigures(preset.out)
        #expect(figures.depth == 14 && figures.images == 200)
        #expect(
            figures.correct == expected.correct && figures.meanLoss == expected.meanLoss,
            "\(figures) vs the preset's \(expected)")
        let card = try String(contentsOfFile: d14 + "/README.md", encoding: .utf8)
        #expect(
            card.hasPrefix("---\nlibrary_name: timm\n") && card.contains("# `fmnist-tiny-sws:"), "\(card.prefix(300))")
        #expect(card.contains("| Layer map (block → learngene layer) | 0 0 0 1 1 1 2 2 2 3 3 3 4 4 |"))
    }

    static func evalFigures(_ json: String) throws -> (depth: Int, images: Int, correct: Int, meanLoss: Double) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let row = try #require((object["rows"] as? [[String: Any]])?.first)
        return (
            row["depth"] as? Int ?? -1, row["images"] as? Int ?? -1, row["correct"] as? Int ?? -1,
            row["meanLoss"] as? Double ?? .nan
        )
    }

    /// The model card: Hub front matter, lineage to the learngene digest, the declared accuracy at this depth only.
    @Test func modelCardCarriesHubMetadataLineageAndDeclaredAccuracy() throws {
        let source = try Self.fashionSource()
        let net = try Materializer.plan(source, depth: 6, strategy: .cyclic(.named(.frontMidLast)))
        let manifest = LearngeneManifest(
            name: "aux-fmnist", version: "2", description: "test", license: "Apache-2.0", kind: .sws,
            architecture: source.architecture,
            schedule: try StageSchedule([3, 3, 4, 3, 3]), dtype: .f32,
            provenance: .init(trained: true, toolVersion: "lgreg test"),
            results: [
                .init(
                    depth: 6, strategy: "cyclic", order: "front-mid-last", tunedEpochs: 0,
                    evalSet: "fashion-mnist:test", top1: 0.7682),
                .init(
                    depth: 7, strategy: "cyclic", order: "front-mid-last", tunedEpochs: 0,
                    evalSet: "fashion-mnist:test", top1: 0.7911),
                .init(depth: 6, strategy: "random", tunedEpochs: 0, evalSet: "fashion-mnist:test", top1: 0.5),
            ])
        let folder = try TemporaryDirectory("lgreg-export")
        try TimmExport.write(net, to: folder.url, tool: "lgreg test", manifest: manifest)
        let card = try String(contentsOf: folder.appending("README.md"), encoding: .utf8)
        let lines = card.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let end = try #require(lines.dropFirst().firstIndex(of: "---"))
        let frontMatter = Array(lines[1..<end])
        #expect(lines[0] == "---")
        #expect(
            Array(frontMatter.prefix(13)) == [
                "library_name: timm", "license: apache-2.0", "pipeline_tag: image-classification", "tags:",
                "- image-classification", "- timm", "- learngene", "- lgreg", "- sws", "datasets:",
                "- \"zalando-datasets/fashion_mnist\"", "learngene_lineage:", "  learngene: \"aux-fmnist:2\"",
            ], "\(frontMatter)")
        #expect(frontMatter.contains("model-index:") && frontMatter.contains("      value: 0.768200"))
        #expect(card.contains("# `aux-fmnist:2` Des-Net, depth 6"))
        #expect(card.contains("| Learngene digest | `sha256:\(String(repeating: "ab", count: 32))` |"))
        #expect(card.contains("| Strategy | cyclic, order front-mid-last |"))
        #expect(card.contains("| Layer map (block → learngene layer) | 0 0 1 2 3 4 |"))
        #expect(card.contains("| 6 | cyclic (front-mid-last) | 0 | fashion-mnist:test | 76.82 % |"))
        #expect(
            !card.contains("79.11") && !card.contains("50.00"), "only the declared result at this depth and strategy")
        #expect(card.contains("timm.create_model(\n    \"local-dir:"))
        #expect(card.contains("mean [0.286] and std [0.353]"))

        let bare = try TemporaryDirectory("lgreg-export")
        try TimmExport.write(net, to: bare.url, tool: "lgreg test")
        let unknown = try String(contentsOf: bare.appending("README.md"), encoding: .utf8)
        #expect(unknown.contains("license: unknown") && unknown.contains("declares no result at depth 6"))
    }

    /// Issue 24: cards the Hub reads whole. huggingface_hub's own parser (offline) reads the front matter: a licence
    /// the Hub accepts (NOASSERTION, what `lgreg import` records by default, is `unknown`; an SPDX id it does not
    /// list is `other` with `license_name`), the data set, the lineage, and a `model-index` result per declared
    /// top-1; random weights are said so. The card's loading code passes the LayerNorm epsilon.
    @Test func modelCardsAreReadWholeByTheHubsParser() throws {
        let source = try Self.fashionSource()
        let net = try Materializer.plan(source, depth: 6, strategy: .cyclic(.named(.frontMidLast)))
        func manifest(license: String, trained: Bool) throws -> LearngeneManifest {
            LearngeneManifest(
                name: "aux-fmnist", version: "2", description: "test", license: license, kind: .sws,
                architecture: source.architecture, schedule: try StageSchedule([3, 3, 4, 3, 3]), dtype: .f32,
                provenance: .init(trained: trained, toolVersion: "lgreg test"),
                results: [
                    .init(
                        depth: 6, strategy: "cyclic", order: "front-mid-last", tunedEpochs: 0,
                        evalSet: "fashion-mnist:test", top1: 0.7682),
                    .init(
                        depth: 6, strategy: "cyclic", order: "front-mid-last", tunedEpochs: 3,
                        evalSet: "fashion-mnist:test", top1: 0.8515),
                ])
        }
        let cases: [(license: String, trained: Bool, hub: String, name: String?)] = [
            ("Apache-2.0", true, "apache-2.0", nil), ("NOASSERTION", false, "unknown", nil),
            ("LicenseRef-Lab-1.0", true, "other", "licenseref-lab-1.0"),
        ]
        for entry in cases {
            let folder = try TemporaryDirectory("lgreg-card")
            try TimmExport.write(
                net, to: folder.url, tool: "lgreg test",
                manifest: try manifest(license: entry.license, trained: entry.trained))
            let parsed = try runProcess(
                "python3",
                [
                    repositoryRoot.appendingPathComponent("Tests/LgregResolverTests/Python/check_model_card.py").path,
                    folder.path("README.md"),
                ], environment: ["HF_HUB_OFFLINE": "1"])
            try #require(parsed.status == 0, "\(parsed.summary)")
            let card = try #require(try JSONSerialization.jsonObject(with: Data(parsed.out.utf8)) as? [String: Any])
            #expect(card["license"] as? String == entry.hub, "\(entry.license): \(card["license"] ?? "none")")
            #expect(card["licenseName"] as? String == entry.name)
            #expect(card["library"] as? String == "timm" && card["pipeline"] as? String == "image-classification")
            #expect(card["datasets"] as? [String] == ["zalando-datasets/fashion_mnist"])
            let lineage = try #require(card["lineage"] as? [String: Any])
            #expect(lineage["learngene"] as? String == "aux-fmnist:2" && lineage["strategy"] as? String == "cyclic")
            #expect(lineage["layer_map"] as? [Int] == [0, 0, 1, 2, 3, 4] && lineage["depth"] as? Int == 6)
            #expect(lineage["weights"] as? String == (entry.trained ? "trained, untuned" : "random, never trained"))
            let results = try #require(card["results"] as? [[String: Any]])
            #expect(results.count == 2, "\(results)")
            #expect(
                results.map { $0["value"] as? Double } == [0.7682, 0.8515]
                    && results.allSatisfy {
                        $0["task"] as? String == "image-classification" && $0["metric"] as? String == "accuracy"
                            && $0["dataset"] as? String == "zalando-datasets/fashion_mnist"
                            && $0["split"] as? String == "test"
                    }, "\(results)")
            let text = try #require(card["text"] as? String)
            #expect(text.contains("random weights") == !entry.trained, "random weights said when they are")
            #expect(text.contains("norm_layer=partial(nn.LayerNorm, eps=1e-06)"))
            let tags = card["tags"] as? [String] ?? []
            #expect(tags.contains("random-weights") == !entry.trained)
        }
    }

    @Test func exportedConfigValidatesAgainstTheSchema() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        for (_, directory) in try Self.localDirExports(in: folder) {
            let json = try String(contentsOf: directory.appendingPathComponent("config.json"), encoding: .utf8)
            let (status, message) = try validateJSON(json, against: "timm-config.schema.json")
            #expect(status == 0, "\(message)")
            var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            object["architecture"] = "vit_custom"
            let (refused, _) = try validateJSON(
                String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self),
                against: "timm-config.schema.json")
            #expect(refused != 0, "the schema refuses a name timm does not register")
        }
    }
}
