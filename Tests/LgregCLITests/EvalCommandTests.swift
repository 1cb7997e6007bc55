import Foundation
import LgregTestSupport
import Testing

/// `lgreg eval` on the runtime's timm fixtures and on hostile input.
@Suite struct EvalCommandTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/LgregRuntimeTests/Fixtures")

    /// An architecture file for the `fmnist-shape` fixture (width 32, 2 heads, 28×28×1, patch 4).
    static func architectureFile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fmnist-shape-\(UUID()).json")
        let json = """
            {"schemaVersion": 1, "architecture": {"imageSize": 28, "patchSize": 4, "inChannels": 1, "width": 32, "heads": 2,
             "mlpRatio": 4, "classes": 10, "classToken": false, "pooling": "avg-norm-first", "layerNormEps": 1e-6, "qkvBias": true}}
            """
        try Data(json.utf8).write(to: url)
        return url
    }

    @Test func evalMatchesTimmOnFashionMNIST() throws {
        let arch = try Self.architectureFile()
        defer { try? FileManager.default.removeItem(at: arch) }
        let model = Self.fixtures.appendingPathComponent("fmnist-shape.model.safetensors").path
        let result = try runLgreg([
            "eval", model, "--arch", arch.path, "--limit", "256", "--batch-size", "100", "--json",
        ])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.isEmpty, "no progress output in a pipe")
        let (status, message) = try validateJSON(result.out, against: "eval-report.schema.json")
        #expect(status == 0, "\(message)")
        let json = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        let row = (json["rows"] as! [[String: Any]])[0]
        // timm's figures for this model on the first 256 test images (fixture metadata): 25 right, loss 2.87004.
        #expect(row["images"] as? Int == 256 && row["correct"] as? Int == 25 && row["depth"] as? Int == 2)
        #expect(abs((row["meanLoss"] as! Double) - 2.870_041_4) < 1e-4)
        #expect(json["data"] as? String == "fashion-mnist:test")
    }

    @Test func badInputGetsClearErrors() throws {
        let arch = try Self.architectureFile()
        defer { try? FileManager.default.removeItem(at: arch) }
        let other = Self.fixtures.appendingPathComponent("avg.model.safetensors").path
        let mismatch = try runLgreg(["eval", other, "--arch", arch.path])
        #expect(mismatch.status == 64, "\(mismatch.summary)")
        #expect(
            mismatch.err.contains(
                "tensor 'patch_embed.proj.weight' has shape [48, 3, 8, 8], the architecture needs [32, 1, 4, 4]"))
        let model = Self.fixtures.appendingPathComponent("fmnist-shape.model.safetensors").path
        let depth = try runLgreg(["eval", model, "--arch", arch.path, "--depth", "5"])
        #expect(depth.status == 64 && depth.err.contains("--depth 5, but"))
        let data = try runLgreg(["eval", model, "--arch", arch.path, "--data", "mnist:test"])
        #expect(data.status == 64 && data.err.contains("data 'mnist:test'"), "\(data.summary)")
        let missing = try runLgreg(["eval", model, "--arch", arch.path, "--data-dir", "/nonexistent"])
        #expect(missing.status == 74 && missing.err.contains("/nonexistent/t10k-images-idx3-ubyte.gz: no such file"))
        let map = try runLgreg(["eval", model, "--arch", arch.path, "--layers-source", "0,2"])
        #expect(map.status == 64 && map.err.contains("layer map 0,2"), "\(map.summary)")
    }

    @Test func evalSetFromThePythonExample() throws {
        let dir = try TemporaryDirectory("evalset")
        let file = dir.appending("set.safetensors")
        let made = try runProcess(
            "python3", [repositoryRoot.appendingPathComponent("Examples/make_eval_set.py").path, file.path, "256"])
        #expect(made.status == 0, "\(made.summary)")
        // Its header is what Schemas/eval-set.schema.json describes.
        let bytes = try Data(contentsOf: file)
        let headerLength = Int(
            bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let (status, message) = try validateJSON(header, against: "eval-set.schema.json")
        #expect(status == 0, "\(message)")
        #expect(
            try validateJSON(
                header.replacingOccurrences(of: "\"I64\"", with: "\"I32\""), against: "eval-set.schema.json"
            ).0 == 1)
        let arch = try Self.architectureFile()
        defer { try? FileManager.default.removeItem(at: arch) }
        let model = Self.fixtures.appendingPathComponent("fmnist-shape.model.safetensors").path
        let result = try runLgreg(["eval", model, "--arch", arch.path, "--data", file.path, "--csv"])
        #expect(result.status == 0, "\(result.err)")
        // The same 256 images as fashion-mnist:test --limit 256, so the same 25 hits.
        #expect(result.out.split(separator: "\n").last?.hasPrefix("2,\"0,1\",256,25,") == true, "\(result.out)")
    }
}
