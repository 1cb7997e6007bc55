import Foundation
import LgregArchitecture
import LgregCore
import LgregTestSupport
import SafeTensors
import Testing
@testable import LgregResolver

/// The timm export against timm's own state_dict naming (a fixture written by timm, see Python/) and the
/// config against its schema (checked by Python's jsonschema).
@Suite struct ExportTests {

    struct Fixture: Decodable {
        struct Config: Decodable {
            struct Args: Decodable { var fc_norm: Bool; var depth: Int }
            var model_args: Args
            var state_dict: [[Entry]]
        }
        enum Entry: Decodable {
            case name(String), shape([Int])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let name = try? container.decode(String.self) { self = .name(name) } else { self = .shape(try container.decode([Int].self)) }
            }
        }
        var configs: [Config]
    }

    @Test(arguments: [Pooling.avgNormFirst, .avg]) func exportMatchesTimmStateDict(pooling: Pooling) throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/LgregResolverTests/Fixtures/timm-state-dict.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let config = try #require(fixture.configs.first { $0.model_args.fc_norm == (pooling == .avg) })
        let expected: [(String, [Int])] = config.state_dict.map { entry in
            guard case let .name(name) = entry[0], case let .shape(shape) = entry[1] else { fatalError("fixture entry") }
            return (name, shape)
        }

        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let net = try Materializer.plan(source, depth: config.model_args.depth, strategy: .cyclic(.named(.frontMidLast)),
                                        pooling: pooling, allowDropStages: true)
        let folder = try TemporaryDirectory("lgreg-export"), directory = folder.url
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
        #expect(written.architecture == "vit_custom")
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

    /// Whether torch and timm can be imported (on a developer machine; CI has neither, and skips the test).
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

    /// timm itself builds the model from config.json and loads model.safetensors with strict=True
    /// (Examples/pytorch/load_in_timm.py), for both pooling orders in one export folder each.
    @Test(.enabled(if: timmAvailable, "needs torch and timm")) func timmLoadsTheExportStrictly() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        for pooling in [Pooling.avgNormFirst, .avg] {
            let net = try Materializer.plan(source, depth: 7, strategy: .cyclic(.named(.frontLastMid)), head: .new, classes: 6, pooling: pooling)
            let folder = try TemporaryDirectory("lgreg-export"), directory = folder.url
            try TimmExport.write(net, to: directory, tool: "lgreg test")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", repositoryRoot.appendingPathComponent("Examples/pytorch/load_in_timm.py").path, directory.path]
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
        let config = TimmConfig(DesNet(architecture: base, depth: 14, blocks: [], lineage: Lineage(
            learngeneDigest: nil, learngeneKind: .sws, strategy: .cyclic, order: "front-mid-last", seed: nil,
            layerMap: [], head: .keep), tensors: []), tool: "lgreg test")
        #expect(config.architecture == "vit_base_patch16_224")
        #expect(config.modelArgs.depth == 14)
        #expect(config.modelArgs.fcNorm == false)
    }

    @Test func unknownConfigVersionIsRefused() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let url = folder.appending("config.json")
        try Data(#"{"architecture": "vit_custom", "lgreg": {"schemaVersion": 2}}"#.utf8).write(to: url)
        #expect(throws: ResolverError.invalidFile(path: url.path, field: "lgreg.schemaVersion", reason: "is 2; this lgreg reads version 1 only")) {
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
        let folder = try TemporaryDirectory("lgreg-export"), output = folder.appending("des")
        for depth in [6, 15] {
            try TimmExport.write(try Materializer.plan(source, depth: depth, strategy: .cyclic(.named(.frontMidLast))), to: output, tool: "lgreg test")
            #expect(try TimmConfig.read(from: output.appendingPathComponent("config.json")).modelArgs.depth == depth)
            let model = try SafeTensorsFile(path: output.appendingPathComponent("model.safetensors").path)
            #expect(model.contains("blocks.\(depth - 1).norm1.weight") && !model.contains("blocks.\(depth).norm1.weight"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["des"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == ["config.json", "model.safetensors"])
    }

    @Test func aFolderHoldingOtherFilesIsNotExportedInto() throws {
        let source = try MemorySource.make(kind: .sws, layers: 5, schedule: StageSchedule([3, 3, 4, 3, 3]))
        let folder = try TemporaryDirectory("lgreg-export")
        try Data("keep me".utf8).write(to: folder.appending("notes.txt"))
        let net = try Materializer.plan(source, depth: 6, strategy: .cyclic(.named(.frontMidLast)))
        #expect(throws: FileSystemError(path: folder.url.path, reason: "holds 'notes.txt', which lgreg did not write there; the folder is replaced as a "
                                        + "whole, so give a new or empty folder (or one holding only config.json and model.safetensors)", kind: .refused)) {
            try TimmExport.write(net, to: folder.url, tool: "lgreg test")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["notes.txt"])
    }

    /// Issue 10 case 15, for the export's own config: a key twice is refused, naming it.
    @Test func aConfigWithADuplicateKeyIsRefused() throws {
        let folder = try TemporaryDirectory("lgreg-export")
        let url = folder.appending("config.json")
        try Data(#"{"architecture": "vit_custom", "architecture": "vit_base_patch16_224", "lgreg": {"schemaVersion": 1}}"#.utf8).write(to: url)
        do {
            _ = try TimmConfig.read(from: url)
            Issue.record("a duplicate key was accepted")
        } catch let ResolverError.invalidFile(_, field, reason) {
            #expect(field == "architecture" && reason.contains("appears twice in one object"), "field \(field ?? "nil"): \(reason)")
        }
    }
}
