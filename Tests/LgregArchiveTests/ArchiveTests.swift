import Foundation
import LgregArchitecture
import LgregArchive
import SafeTensors
import Testing

/// A fresh folder under the system temp directory.
func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lgreg-archive-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct ManifestTests {
    /// The paper's Aux-B learngene (deit-base, schedule 3,3,4,3,3) stores 5 blocks and the shared tensors:
    /// 36,951,016 parameters, the "37.0 M" of Table 1, computed here by hand: a DeiT-Base block holds
    /// 4·768 (two LayerNorms) + 768·2304 + 2304 (qkv) + 768·768 + 768 (proj) + 768·3072 + 3072 + 3072·768 + 768
    /// (MLP) = 7,087,872; the shared tensors 768·3·16·16 + 768 + 196·768 + 2·768 + 1000·768 + 1000 = 1,511,656.
    @Test func auxBParameterBudgetIs37Million() throws {
        let manifest = LearngeneManifest(
            name: "aux-b", version: "1", description: "", license: "MIT", kind: .sws,
            architecture: try .preset("deit-base"), schedule: try StageSchedule([3, 3, 4, 3, 3]), dtype: .f32,
            provenance: .init(trained: false, toolVersion: "test"))
        #expect(manifest.expectedLayerCount == 5)
        #expect(manifest.expectedStoredParameters == 5 * 7_087_872 + 1_511_656)
        #expect(manifest.expectedStoredParameters == 36_951_016)
    }

    @Test func kindsFixTheLayerCountAndRoles() throws {
        let arch = try ViTArchitecture.preset("fmnist-tiny")
        func manifest(_ kind: LearngeneManifest.Kind, _ schedule: [Int]) throws -> LearngeneManifest {
            LearngeneManifest(
                name: "x", version: "1", description: "", license: "MIT", kind: kind, architecture: arch,
                schedule: try StageSchedule(schedule), dtype: .f32, provenance: .init(trained: true, toolVersion: "t"))
        }
        #expect(try manifest(.sws, [3, 3, 4, 3, 3]).expectedLayerCount == 5)
        #expect(try manifest(.tleg, [1, 1, 1, 1, 1, 1]).expectedLayerCount == 2)
        #expect(try manifest(.tleg, [1, 1]).role(ofLayer: 1) == .thetaB)
        #expect(try manifest(.plain, [1, 1, 1, 1]).expectedLayerCount == 4)
        #expect(throws: ArchiveError.self) { try manifest(.plain, [2, 2]).validateDescription(path: "m.json") }
    }

    @Test func unknownSchemaVersionAndBadFieldsAreRefusedByName() throws {
        let dir = try scratchDirectory()
        let url = dir.appendingPathComponent("a.lgz")
        try RandomLearngene.write(
            name: "t", version: "1", kind: .sws, architecture: try .preset("fmnist-tiny"),
            schedule: try StageSchedule([1, 1]), seed: 0, toolVersion: "test", to: url)
        let good = try LearngeneArchive.read(url).manifestBytes
        let text = String(decoding: good, as: UTF8.self)
        let cases: [(String, String, String)] = [
            (
                "\"schemaVersion\" : 1", "\"schemaVersion\" : 2",
                "field 'schemaVersion' is 2; this lgreg reads version 1 only"
            ),
            ("\"kind\" : \"sws\"", "\"kind\" : \"giant\"", "field 'kind'"),
            ("\"name\" : \"t\"", "\"name\" : \"T/x\"", "field 'name' 'T/x' must be"),
            ("\"stored\" : ", "\"stored\" : 1", "field 'parameters.stored' is 1"),
        ]
        for (from, to, message) in cases {
            #expect(text.contains(from), "fixture has \(from)")
            let bad = Data(text.replacingOccurrences(of: from, with: to).utf8)
            #expect { try LearngeneManifest.decode(bad, path: "m.json") } throws: { error in
                "\(error)".contains(message)
                    || {
                        print("got: \(error)")
                        return false
                    }()
            }
        }
    }
}

@Suite struct RandomInitTests {
    /// Weights follow timm: truncated normal σ = 0.02 cut at ±2σ, so |w| ≤ 0.04 and the standard deviation is
    /// σ·√(1 − 2·2φ(2)/(2Φ(2) − 1)) = 0.02 × 0.87963 = 0.0175926 (φ, Φ the standard normal pdf and cdf);
    /// biases are 0 and LayerNorm weights 1.
    @Test func initializersFollowTimm() throws {
        let arch = try ViTArchitecture.preset("fmnist-small")
        let file = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: arch, layers: 1, seed: 7), label: "model")
        let fc1 = try file.floats("blocks.0.mlp.fc1.weight")
        #expect(fc1.count == 512 * 128)
        #expect(fc1.allSatisfy { abs($0) <= 0.04 })
        let mean = fc1.reduce(0, +) / Float(fc1.count)
        let std = (fc1.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(fc1.count)).squareRoot()
        #expect(abs(mean) < 2e-4)
        #expect(abs(std - 0.0175926) < 0.0175926 * 0.02, "std \(std)")
        #expect(try file.floats("blocks.0.mlp.fc1.bias").allSatisfy { $0 == 0 })
        #expect(try file.floats("blocks.0.norm1.weight").allSatisfy { $0 == 1 })
        #expect(try file.floats("norm.weight").allSatisfy { $0 == 1 })
    }

    @Test func sameSeedSameArchiveOtherSeedOtherWeights() throws {
        let dir = try scratchDirectory()
        func write(_ seed: UInt64, _ name: String) throws -> LearngeneManifest {
            try RandomLearngene.write(
                name: "t", version: "1", kind: .sws, architecture: try .preset("fmnist-tiny"),
                schedule: try StageSchedule([2, 1]), seed: seed, toolVersion: "test",
                to: dir.appendingPathComponent(name))
        }
        let a = try write(3, "a.lgz")
        let b = try write(3, "b.lgz")
        let c = try write(4, "c.lgz")
        #expect(a == b)
        #expect(
            try Data(contentsOf: dir.appendingPathComponent("a.lgz"))
                == Data(contentsOf: dir.appendingPathComponent("b.lgz")))
        #expect(a.layers[0].digest != c.layers[0].digest)
        #expect(a.provenance.trained == false)
        #expect(a.provenance.seed == 3)
    }
}

@Suite struct PackTests {
    /// pack splits a model file into the shared file and one file per layer with block-relative names, and the
    /// checked read gives back exactly the model's tensor bytes.
    @Test func packSplitsAndReadRoundTrips() throws {
        let dir = try scratchDirectory()
        let arch = try ViTArchitecture.preset("fmnist-tiny")
        let model = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: arch, layers: 3, seed: 1), label: "model")
        let template = LearngeneManifest(
            name: "packed", version: "2.0", description: "d", license: "MIT", kind: .sws, architecture: arch,
            schedule: try StageSchedule([1, 2, 1]), dtype: .f32, provenance: .init(trained: true, toolVersion: "t"))
        let url = dir.appendingPathComponent("p.lgz")
        let written = try LearngeneArchive.pack(template: template, model: model, to: url)
        let read = try LearngeneArchive.read(url)
        #expect(read.manifest == written)
        #expect(read.layers.count == 3)
        #expect(read.layers[2].tensors.tensors.map(\.name) == arch.blockTensorSpecs.map(\.name))
        for m in 0..<3 {
            for spec in arch.blockTensorSpecs {
                #expect(
                    Array(try read.layers[m].tensors.bytes(spec.name))
                        == Array(try model.bytes("blocks.\(m).\(spec.name)")))
            }
        }
        #expect(Array(try read.shared.tensors.bytes("pos_embed")) == Array(try model.bytes("pos_embed")))
        // The archive is zstd: its magic number is 28 B5 2F FD.
        #expect(Array(try Data(contentsOf: url).prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
    }

    @Test func packRefusesAWrongShapeNamingTheTensor() throws {
        let dir = try scratchDirectory()
        let small = try ViTArchitecture.preset("fmnist-small")
        let tiny = try ViTArchitecture.preset("fmnist-tiny")
        let model = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: small, layers: 1, seed: 1), label: "model.safetensors")
        let template = LearngeneManifest(
            name: "p", version: "1", description: "", license: "MIT", kind: .plain, architecture: tiny,
            schedule: try StageSchedule([1]), dtype: .f32, provenance: .init(trained: true, toolVersion: "t"))
        #expect {
            try LearngeneArchive.pack(template: template, model: model, to: dir.appendingPathComponent("x.lgz"))
        } throws: { error in
            "\(error)"
                == "model.safetensors: entry 'model': tensor 'patch_embed.proj.weight' has shape [128, 1, 4, 4], the architecture needs [64, 1, 4, 4]"
        }
    }

    /// An archive unpacked by `zstd` and GNU tar and packed again by GNU tar with gzip (a `layers` directory
    /// entry included) reads back with the same manifest and bytes.
    @Test func gzipTarFromGNUTarIsRead() throws {
        let dir = try scratchDirectory()
        let url = dir.appendingPathComponent("a.lgz")
        let written = try RandomLearngene.write(
            name: "t", version: "1", kind: .sws, architecture: try .preset("fmnist-tiny"),
            schedule: try StageSchedule([1, 1]), seed: 2, toolVersion: "test", to: url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "cd '\(dir.path)' && mkdir x && zstd -dc a.lgz | tar -x -C x && cd x && "
                + "tar -czf ../b.tgz manifest.json shared.safetensors layers",
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let gz = dir.appendingPathComponent("b.tgz")
        #expect(Array(try Data(contentsOf: gz).prefix(2)) == [0x1F, 0x8B])
        let a = try LearngeneArchive.read(url)
        let b = try LearngeneArchive.read(gz)
        #expect(b.manifest == written && b.manifestBytes == a.manifestBytes)
        for (x, y) in zip(a.files, b.files) { #expect(Array(x.tensors.fileBytes) == Array(y.tensors.fileBytes)) }
    }

    /// zstd and GNU tar (outside implementations) list the archive's entries in lgreg's order.
    @Test func archiveIsAPlainZstdTar() throws {
        let dir = try scratchDirectory()
        let url = dir.appendingPathComponent("a.lgz")
        try RandomLearngene.write(
            name: "t", version: "1", kind: .tleg, architecture: try .preset("fmnist-tiny"),
            schedule: try StageSchedule([1, 1, 1, 1]), seed: 0, toolVersion: "test", to: url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "zstd -dc '\(url.path)' | tar -tf -"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(listing == "manifest.json\nshared.safetensors\nlayers/0.safetensors\nlayers/1.safetensors\n")
    }
}
