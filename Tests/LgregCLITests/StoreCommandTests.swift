import Foundation
import LgregCore
import LgregTestSupport
import Testing

/// The store commands, run as a user runs them: the real binary, often several at once.
@Suite struct StoreCommandTests {
    let dir: URL
    let store: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgreg-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = dir.appendingPathComponent("store").path
    }

    /// `lgreg init` of a small random learngene; returns its path.
    func initArchive(_ name: String, seed: Int = 0, schedule: String = "1,2,1") throws -> String {
        let path = dir.appendingPathComponent("\(name).lgz").path
        let result = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", schedule, "--random", "--seed", "\(seed)", "--name", name,
            "-o", path,
        ])
        #expect(result.status == 0, "\(result.err)")
        return path
    }

    func references() throws -> [String] {
        let list = try runLgreg(["list", "--store", store, "--json"])
        #expect(list.status == 0, "\(list.err)")
        let (status, message) = try validateJSON(list.out, against: "store-output.schema.json")
        #expect(status == 0, "\(message)")
        let json = try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as! [String: Any]
        return (json["list"] as! [[String: Any]]).map { $0["reference"] as! String }
    }

    /// Starts the binary without waiting for it.
    func start(_ arguments: [String], environment: [String: String] = [:], errors: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = lgregBinary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        if let errors {
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// The paper's Aux-B learngene: 36,951,016 parameters (37.0 M), published, shown and exported byte-identical.
    @Test func auxBInitPublishShowExport() throws {
        let path = dir.appendingPathComponent("aux-b.lgz").path
        let made = try runLgreg([
            "init", "--preset", "deit-base", "--schedule", "3,3,4,3,3", "--random", "--seed", "0", "-o", path,
        ])
        #expect(made.status == 0, "\(made.err)")
        #expect(made.out.contains("5 layers, 36951016 parameters (37.0 M), untrained"))
        let published = try runLgreg(["publish", path, "--store", store, "--tag", "aux-b:0"])
        #expect(published.status == 0, "\(published.err)")
        let digest = published.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:") && digest.count == 71)
        let shown = try runLgreg(["show", String(digest.dropFirst(7).prefix(8)), "--store", store, "--json"])
        #expect(try validateJSON(shown.out, against: "store-output.schema.json").0 == 0)
        let json =
            (try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as! [String: Any])["show"] as! [String: Any]
        #expect(json["digest"] as? String == digest)
        let manifest = json["manifest"] as! [String: Any]
        #expect((manifest["parameters"] as! [String: Int])["stored"] == 36_951_016)
        #expect((manifest["provenance"] as! [String: Any])["trained"] as? Bool == false)
        let exported = dir.appendingPathComponent("out.lgz").path
        #expect(try runLgreg(["export", "aux-b:0", "-o", exported, "--store", store]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: exported)) == Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A process killed after any step of publish leaves fsck clean, and the learngene is listed only once
    /// index.json names it; publishing again completes it.
    @Test(arguments: CrashPoint.publishSteps)
    func crashAtEveryStepLeavesTheStoreConsistent(step: CrashPoint) throws {
        let path = try initArchive("crashy")
        #expect(try runLgreg(["publish", try initArchive("resident", seed: 1), "--store", store]).status == 0)
        let crashed = try runLgreg(["publish", path, "--store", store], environment: step.environment)
        #expect(crashed.status == CrashPoint.exitStatus, "the hook must fire after '\(step.rawValue)'")
        let fsck = try runLgreg(["fsck", "--store", store])
        #expect(fsck.status == 0, "\(fsck.out)\(fsck.err)")
        let visible = [.index, .database].contains(step)
        #expect(try references() == (visible ? ["crashy:0.1.0", "resident:0.1.0"] : ["resident:0.1.0"]))
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        #expect(try references() == ["crashy:0.1.0", "resident:0.1.0"])
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    /// Six processes creating the same new store at once all succeed, and none sets the fresh index aside.
    @Test func processesOpeningANewStoreAtOnceAllSucceed() throws {
        let a = try initArchive("alpha", seed: 1)
        for round in 0..<12 {
            let root = dir.appendingPathComponent("new-\(round)").path
            let errors = (0..<6).map { dir.appendingPathComponent("errors-\(round)-\($0)") }
            let processes = try (0..<6).map { i in
                try start(
                    i % 2 == 0 ? ["list", "--store", root] : ["publish", a, "--store", root, "--tag", "alpha:\(i)"],
                    errors: errors[i])
            }
            for process in processes { process.waitUntilExit() }
            let said = errors.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.filter {
                $0.contains("error")
            }
            #expect(
                processes.map(\.terminationStatus) == Array(repeating: 0, count: 6), "round \(round): \(said.prefix(2))"
            )
            let quarantine = URL(fileURLWithPath: root).appendingPathComponent(".lgreg/quarantine").path
            #expect(try FileManager.default.contentsOfDirectory(atPath: quarantine).isEmpty)
            #expect(try runLgreg(["fsck", "--store", root]).status == 0)
        }
    }

    @Test func twoProcessesPublishingAtOnceBothSucceed() throws {
        let a = try initArchive("alpha", seed: 1)
        let b = try initArchive("beta", seed: 2)
        for round in 0..<3 {
            let tags = ["alpha:\(round)", "beta:\(round)", "alpha-again:\(round)"]
            let processes = try [
                start(["publish", a, "--store", store, "--tag", tags[0]]),
                start(["publish", b, "--store", store, "--tag", tags[1]]),
                start(["publish", a, "--store", store, "--tag", tags[2]]),
            ]
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == [0, 0, 0])
        }
        #expect(try references().count == 9)
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    /// gc with no grace period, run while publishes are in flight, never deletes a blob a tag needs.
    @Test func gcConcurrentWithPublishKeepsEveryBlobInUse() throws {
        let archives = try (0..<3).map { try initArchive("g\($0)", seed: $0) }
        // gc needs a store to exist (it creates none): make it, and leave nothing tagged.
        #expect(try runLgreg(["publish", archives[0], "--store", store, "--tag", "warm:0"]).status == 0)
        #expect(try runLgreg(["rm", "warm", "--store", store]).status == 0)
        for round in 0..<4 {
            var processes: [Process] = []
            for archive in archives {
                processes.append(
                    try start([
                        "publish", archive, "--store", store, "--tag",
                        "\(URL(fileURLWithPath: archive).deletingPathExtension().lastPathComponent):\(round)",
                    ]))
            }
            processes.append(try start(["gc", "--grace", "0", "--store", store]))
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == [0, 0, 0, 0])
            #expect(try runLgreg(["fsck", "--store", store]).status == 0)
            for archive in archives {
                _ = try runLgreg([
                    "rm", URL(fileURLWithPath: archive).deletingPathExtension().lastPathComponent, "--store", store,
                ])
            }
        }
        #expect(try references().isEmpty)
        let gc = try runLgreg(["gc", "--grace", "0", "--prune-dangling", "--store", store, "--json"])
        #expect(gc.status == 0)
        let blobs = try FileManager.default.contentsOfDirectory(
            atPath: dir.appendingPathComponent("store/blobs/sha256").path)
        #expect(blobs.isEmpty, "everything unreachable is gone once nothing is in flight")
    }

    @Test func fsckExitsOneOnDamageAndQuarantines() throws {
        let path = try initArchive("victim")
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        let shown = try runLgreg(["show", "victim", "--store", store, "--json"])
        let show =
            (try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as! [String: Any])["show"] as! [String: Any]
        let blobs = show["blobs"] as! [[String: Any]]
        let manifestHex = (show["digest"] as! String).dropFirst(7)
        let hex = String((blobs[2]["digest"] as! String).dropFirst(7))
        let blob = dir.appendingPathComponent("store/blobs/sha256/\(hex)")
        var bytes = try Data(contentsOf: blob)
        bytes[100] ^= 0xFF
        try bytes.write(to: blob)
        let fsck = try runLgreg(["fsck", "--store", store])
        #expect(fsck.status == 1)
        #expect(fsck.out.contains("damaged: \(blob.path): content hashes to sha256:"))
        #expect(fsck.out.contains("moved to"))
        let rebuilt = try runLgreg(["fsck", "--store", store, "--rebuild-index", "--json"])
        #expect(rebuilt.status == 1, "the tag still lacks its blob")
        #expect(try validateJSON(rebuilt.out, against: "store-output.schema.json").0 == 0)
        let report =
            (try JSONSerialization.jsonObject(with: Data(rebuilt.out.utf8)) as! [String: Any])["fsck"] as! [String: Any]
        #expect(
            (report["problems"] as! [[String: Any]]).map { $0["subject"] as! String } == [
                "tag victim:0.1.0 (\(manifestHex.prefix(12)))"
            ])
    }

    @Test func exitCodesAndMessages() throws {
        #expect(try runLgreg(["publish", try initArchive("first"), "--store", store]).status == 0)
        let unknown = try runLgreg(["show", "nothing:1", "--store", store])
        #expect(unknown.status == 64)
        #expect(
            unknown.err
                == "error: 'nothing:1' names nothing lgreg can read: no store entry matches it (see `lgreg list`), "
                + "and no file or folder has that name\n")
        let notArchive = dir.appendingPathComponent("junk.lgz")
        try Data("not an archive".utf8).write(to: notArchive)
        let junk = try runLgreg(["publish", notArchive.path, "--store", store])
        #expect(junk.status == 65)
        #expect(junk.err.hasPrefix("error: \(notArchive.path): not a readable .lgz archive"))
        let usage = try runLgreg(["init", "--preset", "fmnist-tiny", "--schedule", "1,1", "-o", "x.lgz"])
        #expect(usage.status == 64)
        #expect(usage.err.contains("Pass --random"))
        let path = try initArchive("twice")
        #expect(try runLgreg(["publish", path, "--store", store, "--tag", "t:1"]).status == 0)
        let conflict = try runLgreg(["publish", try initArchive("other", seed: 4), "--store", store, "--tag", "t:1"])
        #expect(conflict.status == 1)
        #expect(conflict.err.contains("tag 't:1' already points at"))
        #expect(
            try runLgreg(["publish", "--help"]).out.replacingOccurrences(of: "\n", with: " ").contains(
                "65 bad archive data"))
    }

    @Test func tagRemoveAndDryRunGC() throws {
        let path = try initArchive("tagged")
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        #expect(try runLgreg(["tag", "tagged", "tagged:stable", "--store", store]).status == 0)
        #expect(try references() == ["tagged:0.1.0", "tagged:stable"])
        let removed = try runLgreg(["rm", "tagged", "--store", store])
        #expect(removed.out == "removed tagged:0.1.0\nremoved tagged:stable\n")
        let dry = try runLgreg(["gc", "--dry-run", "--grace", "0", "--prune-dangling", "--store", store, "--json"])
        #expect(try validateJSON(dry.out, against: "store-output.schema.json").0 == 0)
        let report =
            (try JSONSerialization.jsonObject(with: Data(dry.out.utf8)) as! [String: Any])["gc"] as! [String: Any]
        // Everything the archive brought: shared + 3 layers + config + manifest, their sizes summed by `du`.
        #expect((report["blobs"] as! [String]).count == 6)
        let sizes = try FileManager.default.contentsOfDirectory(
            atPath: dir.appendingPathComponent("store/blobs/sha256").path
        ).map {
            try FileManager.default.attributesOfItem(
                atPath: dir.appendingPathComponent("store/blobs/sha256/\($0)").path)[.size] as! Int
        }
        #expect(report["bytes"] as? Int == sizes.reduce(0, +))
        #expect(report["dryRun"] as? Bool == true)
    }

    /// `inspect --json` and `show --json` carry manifests valid against Schemas/learngene-manifest.schema.json.
    @Test func manifestsMatchTheirSchema() throws {
        let path = try initArchive("schema", schedule: "1,1")
        let inspected = try runLgreg(["inspect", path, "--json"])
        #expect(inspected.status == 0, "\(inspected.err)")
        #expect(try validateJSON(inspected.out, against: "store-output.schema.json").0 == 0)
        let inspection =
            (try JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as! [String: Any])["inspect"]
            as! [String: Any]
        // 7 shared tensors (patch weight and bias, pos_embed, norm weight and bias, head weight and bias) and 12 per block.
        #expect((inspection["tensors"] as! [[String: Any]]).count == 7 + 2 * 12)
        let manifest = inspection["manifest"]!
        let text = String(decoding: try JSONSerialization.data(withJSONObject: manifest), as: UTF8.self)
        let (status, message) = try validateJSON(text, against: "learngene-manifest.schema.json")
        #expect(status == 0, "\(message)")
        let broken = text.replacingOccurrences(of: "\"kind\":\"sws\"", with: "\"kind\":\"giant\"")
        #expect(broken != text)
        #expect(try validateJSON(broken, against: "learngene-manifest.schema.json").0 == 1)
    }
}

/// Interoperability with the Python reference (numpy + safetensors, outside implementations): a model Python
/// writes is packed, published and exported by lgreg, and Python reads back exactly its own arrays from the
/// exported archive, unpacked by `zstd` and `tar`.
@Suite struct PackInteropTests {
    static let writeModel = """
        import numpy as np, sys
        from safetensors.numpy import save_file
        rng = np.random.default_rng(11)
        d, h = 64, 256
        shapes = {"patch_embed.proj.weight": (d, 1, 4, 4), "patch_embed.proj.bias": (d,), "pos_embed": (1, 49, d),
                  "norm.weight": (d,), "norm.bias": (d,), "head.weight": (10, d), "head.bias": (10,)}
        for i in range(2):
            for name, shape in {"norm1.weight": (d,), "norm1.bias": (d,), "attn.qkv.weight": (3 * d, d), "attn.qkv.bias": (3 * d,),
                                "attn.proj.weight": (d, d), "attn.proj.bias": (d,), "norm2.weight": (d,), "norm2.bias": (d,),
                                "mlp.fc1.weight": (h, d), "mlp.fc1.bias": (h,), "mlp.fc2.weight": (d, h), "mlp.fc2.bias": (d,)}.items():
                shapes[f"blocks.{i}.{name}"] = shape
        tensors = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
        save_file(tensors, sys.argv[1])
        np.savez(sys.argv[2], **tensors)
        print(sum(t.size for t in tensors.values()))
        """

    static let compare = """
        import json, numpy as np, sys
        from safetensors.numpy import load_file
        root, reference = sys.argv[1], np.load(sys.argv[2])
        manifest = json.load(open(f"{root}/manifest.json"))
        found = dict(load_file(f"{root}/shared.safetensors"))
        for layer in manifest["layers"]:
            for name, array in load_file(f"{root}/{layer['file']}").items():
                found[f"blocks.{layer['index']}.{name}"] = array
        assert sorted(found) == sorted(reference.files), (sorted(found), sorted(reference.files))
        for name in reference.files:
            assert found[name].dtype == reference[name].dtype and np.array_equal(found[name], reference[name]), name
        print(manifest["parameters"]["stored"])
        """

    func python(_ script: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text + message)
    }

    @Test func pythonModelRoundTripsThroughPackPublishExport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgreg-pack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = dir.appendingPathComponent("model.safetensors").path
        let arrays = dir.appendingPathComponent("model.npz").path
        let (status, count) = try python(Self.writeModel, [model, arrays])
        #expect(status == 0, "\(count)")
        let architecture =
            try JSONSerialization.jsonObject(with: Data(try runLgreg(["arch", "export", "fmnist-tiny"]).out.utf8))
            as! [String: Any]
        let template: [String: Any] = [
            "schemaVersion": 1, "name": "py-plain", "version": "1.0", "description": "written by numpy",
            "license": "MIT", "kind": "plain",
            "architecture": architecture["architecture"]!, "schedule": [1, 1], "dtype": "F32",
            "provenance": ["trained": true, "toolVersion": "numpy", "dataset": "none", "seed": 11],
            "results": [["depth": 2, "strategy": "plain", "tunedEpochs": 0, "evalSet": "none", "top1": 0.1]],
        ]
        let templatePath = dir.appendingPathComponent("template.json")
        try JSONSerialization.data(withJSONObject: template).write(to: templatePath)
        let packed = dir.appendingPathComponent("py.lgz").path
        let exported = dir.appendingPathComponent("exported.lgz").path
        let store = dir.appendingPathComponent("store").path
        let pack = try runLgreg(["pack", model, "--manifest", templatePath.path, "-o", packed])
        #expect(pack.status == 0, "\(pack.err)")
        #expect(try runLgreg(["publish", packed, "--store", store]).status == 0)
        #expect(try runLgreg(["export", "py-plain:1.0", "-o", exported, "--store", store]).status == 0)
        let unpacked = dir.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        let untar = Process()
        untar.executableURL = URL(fileURLWithPath: "/bin/sh")
        untar.arguments = ["-c", "zstd -dc '\(exported)' | tar -x -C '\(unpacked.path)'"]
        try untar.run()
        untar.waitUntilExit()
        #expect(untar.terminationStatus == 0)
        let (same, stored) = try python(Self.compare, [unpacked.path, arrays])
        #expect(same == 0, "\(stored)")
        #expect(stored == count, "parameters.stored equals numpy's count of every element")
        // A template whose architecture disagrees with the model is refused, naming the tensor.
        let wrong = String(decoding: try Data(contentsOf: templatePath), as: UTF8.self).replacingOccurrences(
            of: "\"width\":64", with: "\"width\":128")
        #expect(wrong.contains("\"width\":128"))
        try Data(wrong.utf8).write(to: templatePath)
        let refused = try runLgreg(["pack", model, "--manifest", templatePath.path, "-o", packed])
        #expect(refused.status == 65)
        #expect(
            refused.err
                == "error: \(model): entry 'model': tensor 'patch_embed.proj.weight' has shape [64, 1, 4, 4], the architecture needs [128, 1, 4, 4]\n"
        )
    }
}

/// The OCI documents in the store validate against lgreg's profile of the OCI image spec.
@Suite struct OCILayoutSchemaTests {
    @Test func indexAndManifestMatchTheirSchemas() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgreg-oci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let archive = dir.appendingPathComponent("t.lgz").path
        let store = dir.appendingPathComponent("store")
        #expect(
            try runLgreg(["init", "--preset", "fmnist-tiny", "--schedule", "2,2", "--random", "-o", archive]).status
                == 0)
        let digest = try runLgreg(["publish", archive, "--store", store.path]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(try runLgreg(["tag", digest, "other:1", "--store", store.path]).status == 0)
        let index = String(decoding: try Data(contentsOf: store.appendingPathComponent("index.json")), as: UTF8.self)
        let (indexStatus, indexMessage) = try validateJSON(index, against: "oci-image-index.schema.json")
        #expect(indexStatus == 0, "\(indexMessage)")
        let manifest = String(
            decoding: try Data(contentsOf: store.appendingPathComponent("blobs/sha256/\(digest.dropFirst(7))")),
            as: UTF8.self)
        let (status, message) = try validateJSON(manifest, against: "oci-learngene-manifest.schema.json")
        #expect(status == 0, "\(message)")
        #expect(
            try validateJSON(
                manifest.replacingOccurrences(of: "\"shared\"", with: "\"stage\""),
                against: "oci-learngene-manifest.schema.json"
            ).0 == 1)
    }
}
