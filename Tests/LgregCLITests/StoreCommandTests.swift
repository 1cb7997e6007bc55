import Foundation
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
        let result = try runLgreg(["init", "--preset", "fmnist-tiny", "--schedule", schedule, "--random", "--seed", "\(seed)", "--name", name, "-o", path])
        #expect(result.status == 0, "\(result.err)")
        return path
    }

    func references() throws -> [String] {
        let list = try runLgreg(["list", "--store", store, "--json"])
        #expect(list.status == 0, "\(list.err)")
        return (try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as! [[String: Any]]).map { $0["reference"] as! String }
    }

    /// Starts the binary without waiting for it.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("lgreg")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The paper's Aux-B learngene: 36,951,016 parameters (37.0 M), published, shown and exported byte-identical.
    @Test func auxBInitPublishShowExport() throws {
        let path = dir.appendingPathComponent("aux-b.lgz").path
        let made = try runLgreg(["init", "--preset", "deit-base", "--schedule", "3,3,4,3,3", "--random", "--seed", "0", "-o", path])
        #expect(made.status == 0, "\(made.err)")
        #expect(made.out.contains("5 layers, 36951016 parameters (37.0 M), untrained"))
        let published = try runLgreg(["publish", path, "--store", store, "--tag", "aux-b:0"])
        #expect(published.status == 0, "\(published.err)")
        let digest = published.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:") && digest.count == 71)
        let shown = try runLgreg(["show", String(digest.dropFirst(7).prefix(8)), "--store", store, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as! [String: Any]
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
    @Test(arguments: ["staged", "first-blob", "blobs", "config", "manifest", "index", "database"])
    func crashAtEveryStepLeavesTheStoreConsistent(step: String) throws {
        let path = try initArchive("crashy")
        #expect(try runLgreg(["publish", try initArchive("resident", seed: 1), "--store", store]).status == 0)
        let crashed = try runLgreg(["publish", path, "--store", store], environment: ["LGREG_TEST_CRASH_AFTER": step])
        #expect(crashed.status == 70, "the hook must fire after '\(step)'")
        let fsck = try runLgreg(["fsck", "--store", store])
        #expect(fsck.status == 0, "\(fsck.out)\(fsck.err)")
        let visible = ["index", "database"].contains(step)
        #expect(try references() == (visible ? ["crashy:0.1.0", "resident:0.1.0"] : ["resident:0.1.0"]))
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        #expect(try references() == ["crashy:0.1.0", "resident:0.1.0"])
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    @Test func twoProcessesPublishingAtOnceBothSucceed() throws {
        let a = try initArchive("alpha", seed: 1), b = try initArchive("beta", seed: 2)
        for round in 0..<3 {
            let tags = ["alpha:\(round)", "beta:\(round)", "alpha-again:\(round)"]
            let processes = try [start(["publish", a, "--store", store, "--tag", tags[0]]),
                                 start(["publish", b, "--store", store, "--tag", tags[1]]),
                                 start(["publish", a, "--store", store, "--tag", tags[2]])]
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == [0, 0, 0])
        }
        #expect(try references().count == 9)
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    /// gc with no grace period, run while publishes are in flight, never deletes a blob a tag needs.
    @Test func gcConcurrentWithPublishKeepsEveryBlobInUse() throws {
        let archives = try (0..<3).map { try initArchive("g\($0)", seed: $0) }
        for round in 0..<4 {
            var processes: [Process] = []
            for archive in archives { processes.append(try start(["publish", archive, "--store", store, "--tag", "\(URL(fileURLWithPath: archive).deletingPathExtension().lastPathComponent):\(round)"])) }
            processes.append(try start(["gc", "--grace", "0", "--store", store]))
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == [0, 0, 0, 0])
            #expect(try runLgreg(["fsck", "--store", store]).status == 0)
            for archive in archives {
                _ = try runLgreg(["rm", URL(fileURLWithPath: archive).deletingPathExtension().lastPathComponent, "--store", store])
            }
        }
        #expect(try references().isEmpty)
        let gc = try runLgreg(["gc", "--grace", "0", "--store", store, "--json"])
        #expect(gc.status == 0)
        let blobs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("store/blobs/sha256").path)
        #expect(blobs.isEmpty, "everything unreachable is gone once nothing is in flight")
    }

    @Test func fsckExitsOneOnDamageAndQuarantines() throws {
        let path = try initArchive("victim")
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        let shown = try runLgreg(["show", "victim", "--store", store, "--json"])
        let blobs = (try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as! [String: Any])["blobs"] as! [[String: Any]]
        let hex = String((blobs[2]["digest"] as! String).dropFirst(7))
        let blob = dir.appendingPathComponent("store/blobs/sha256/\(hex)")
        var bytes = try Data(contentsOf: blob)
        bytes[100] ^= 0xFF
        try bytes.write(to: blob)
        let fsck = try runLgreg(["fsck", "--store", store])
        #expect(fsck.status == 1)
        #expect(fsck.out.contains("damaged: \(blob.path): content hashes to sha256:"))
        #expect(fsck.out.contains("moved to"))
        #expect(try runLgreg(["fsck", "--store", store, "--rebuild-index", "--json"]).status == 1, "the tag still lacks its blob")
    }

    @Test func exitCodesAndMessages() throws {
        let unknown = try runLgreg(["show", "nothing:1", "--store", store])
        #expect(unknown.status == 64)
        #expect(unknown.err == "error: no learngene or tag matches 'nothing:1' (see `lgreg list`)\n")
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
        #expect(try runLgreg(["publish", "--help"]).out.replacingOccurrences(of: "\n", with: " ").contains("65 bad archive data"))
    }

    @Test func tagRemoveAndDryRunGC() throws {
        let path = try initArchive("tagged")
        #expect(try runLgreg(["publish", path, "--store", store]).status == 0)
        #expect(try runLgreg(["tag", "tagged", "tagged:stable", "--store", store]).status == 0)
        #expect(try references() == ["tagged:0.1.0", "tagged:stable"])
        let removed = try runLgreg(["rm", "tagged", "--store", store])
        #expect(removed.out == "removed tagged:0.1.0\nremoved tagged:stable\n")
        let dry = try runLgreg(["gc", "--dry-run", "--grace", "0", "--store", store, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(dry.out.utf8)) as! [String: Any]
        // Everything the archive brought: shared + 3 layers + config + manifest, their sizes summed by `du`.
        #expect((report["blobs"] as! [String]).count == 6)
        let sizes = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("store/blobs/sha256").path).map {
            try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("store/blobs/sha256/\($0)").path)[.size] as! Int
        }
        #expect(report["bytes"] as? Int == sizes.reduce(0, +))
        #expect(report["dryRun"] as? Bool == true)
    }

    /// `inspect --json` and `show --json` carry manifests valid against Schemas/learngene-manifest.schema.json.
    @Test func manifestsMatchTheirSchema() throws {
        let path = try initArchive("schema", schedule: "1,1")
        let inspected = try runLgreg(["inspect", path, "--json"])
        #expect(inspected.status == 0, "\(inspected.err)")
        let manifest = (try JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as! [String: Any])["manifest"]!
        let text = String(decoding: try JSONSerialization.data(withJSONObject: manifest), as: UTF8.self)
        let (status, message) = try SchemaTests.validate(text, against: "learngene-manifest.schema.json")
        #expect(status == 0, "\(message)")
        let broken = text.replacingOccurrences(of: "\"kind\":\"sws\"", with: "\"kind\":\"giant\"")
        #expect(broken != text)
        #expect(try SchemaTests.validate(broken, against: "learngene-manifest.schema.json").0 == 1)
    }
}
