import Foundation
import LgregTestSupport
import Testing

/// The zoo in `Registry/`, as the README's first command uses it: every archive published into a fresh store, the
/// tuned Des-Nets of `Registry/tuned` pulled beside them, and `verify --all --depths` re-measuring every declared
/// untuned and tuned accuracy at the depths CI checks (`ciDepths`; the README's first command checks them all)
/// from the stored weights on the whole Fashion-MNIST test set, within each result's tolerance; and the tables of
/// `Registry/README.md` are what that store reports. A tuned zoo entry evaluates to the top-1 it recorded, and its
/// export is the folder timm's `local-dir:` loader classified the test set with to the same count
/// (`Fixtures/timm-tuned-export.json`, written by `Python/timm_tuned_export_fixture.py`).
@Suite(.serialized) struct ZooVerificationTests {
    /// The depths CI re-measures: the shallowest and the middle of the zoo's 6..15, every strategy at each.
    static let ciDepths = [6, 12]

    func json(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "not a JSON object: \(text.prefix(300))")
    }

    @Test func everyDeclaredResultOfTheZooIsReMeasured() throws {
        let folder = try TemporaryDirectory("lgreg-zoo")
        let store = folder.path("store")
        let registry = repositoryRoot.appendingPathComponent("Registry")
        let archives = try FileManager.default.contentsOfDirectory(atPath: registry.path).filter {
            $0.hasSuffix(".lgz")
        }.sorted()
        #expect(!archives.isEmpty)
        // What the manifests declare, counted from the archives themselves.
        var declared = 0
        for archive in archives {
            let path = registry.appendingPathComponent(archive).path
            let inspect = try runLgreg(["inspect", path, "--json"])
            #expect(inspect.status == 0, "\(inspect.summary)")
            let results =
                ((try json(inspect.out)["inspect"] as? [String: Any])?["manifest"] as? [String: Any])?["results"]
                as? [[String: Any]] ?? []
            declared +=
                results.filter { Self.ciDepths.contains($0["depth"] as? Int ?? 0) && $0["tunedEpochs"] as? Int == 0 }
                .count
            let publish = try runLgreg(["publish", path, "--store", store])
            #expect(publish.status == 0, "\(publish.summary)")
        }
        var tuned = 0
        let layout = registry.appendingPathComponent("tuned").path
        if FileManager.default.fileExists(atPath: layout) {
            let pull = try runLgreg(["pull", "oci:\(layout)", "--store", store, "--json"])
            #expect(pull.status == 0, "\(pull.summary)")
            let tags = ((try json(pull.out)["layout"] as? [String: Any])?["entries"] as? [[String: Any]] ?? [])
                .compactMap { $0["reference"] as? String }
            // A tuned Des-Net's depth is in its tag: NAME-dDEPTH:… (scratch-fmnist-tiny-d12:s0-ft10).
            tuned =
                tags.filter { tag in Self.ciDepths.contains { tag.split(separator: ":")[0].hasSuffix("-d\($0)") } }
                .count
        }

        // 39 evaluations of 10,000 images: about 190 s alone on 2 cores, twice that beside the other suites; the
        // timeout catches a hang, not a slow machine.
        let verify = try runLgreg(
            [
                "verify", "--all", "--depths", Self.ciDepths.map(String.init).joined(separator: ","), "--store", store,
                "--json",
            ],
            timeout: 3600)
        #expect(verify.status == 0, "\(verify.summary)")
        var results = 0
        var failed: [String] = []
        for verdict in try json(verify.out)["learngenes"] as? [[String: Any]] ?? [] {
            for check in verdict["checks"] as? [[String: Any]] ?? [] where check["check"] as? String == "result" {
                let depth = check["depth"] as? Int ?? 0
                guard Self.ciDepths.contains(depth) else {
                    if check["status"] as? String != "skipped" {
                        failed.append("\(verdict["reference"] ?? ""): depth \(depth) was not skipped")
                    }
                    continue
                }
                results += 1
                if check["status"] as? String != "ok" {
                    failed.append("\(verdict["reference"] ?? ""): \(check["detail"] ?? check)")
                }
            }
        }
        #expect(failed.isEmpty, "\(failed.prefix(5))")
        // At the CI depths, one result per declared untuned figure and one per tuned Des-Net: nothing left out.
        #expect(
            results == declared + tuned,
            "\(results) results re-measured; \(declared) declared in \(archives.count) archives, \(tuned) tuned Des-Nets"
        )
        // Registry/README.md shows what this store reports: readme.py --check writes its tables again in memory and compares.
        let readme = try runProcess(
            "python3", [registry.appendingPathComponent("readme.py").path, "--check", lgregBinary.path, store])
        #expect(readme.status == 0, "\(readme.summary)")

        try tunedEntryIsAModel(store: store, folder: folder)
    }

    /// The zoo's tuned SWS Des-Net-12: `eval` prints its recorded top-1 to the image, and `export` writes the bytes
    /// timm loaded and classified the test set with (the fixture) to that same count.
    func tunedEntryIsAModel(store: String, folder: TemporaryDirectory) throws {
        let tag = "fmnist-tiny-sws-d12:2-cyclic-ft1"
        let shown = try runLgreg(["show", tag, "--store", store, "--json"])
        let recorded = try #require(
            ((try json(shown.out)["show"] as? [String: Any])?["tuned"] as? [String: Any])?["result"] as? [String: Any])
        let evaluated = try runLgreg(["eval", tag, "--store", store, "--json"], timeout: 3600)
        #expect(evaluated.status == 0, "\(evaluated.summary)")
        let row = try #require((try json(evaluated.out)["rows"] as? [[String: Any]])?.first)
        #expect(
            row["correct"] as? Int == recorded["correct"] as? Int
                && row["top1"] as? Double == recorded["top1"] as? Double, "\(row) \(recorded)")

        let output = folder.path("sws-d12-tuned")
        #expect(try runLgreg(["export", tag, "-o", output, "--store", store]).status == 0)
        let fixture = try json(
            String(
                decoding: try Data(
                    contentsOf: repositoryRoot.appendingPathComponent(
                        "Tests/LgregCLITests/Fixtures/timm-tuned-export.json")), as: UTF8.self))
        for (file, key) in [("model.safetensors", "model_sha256"), ("config.json", "config_sha256")] {
            let hashed = try runProcess("sha256sum", [output + "/" + file])
            #expect(
                hashed.out.hasPrefix(fixture[key] as? String ?? "-"),
                "\(file) is not what timm loaded: \(hashed.out.prefix(64))")
        }
        #expect(
            fixture["correct"] as? Int == recorded["correct"] as? Int
                && fixture["images"] as? Int == recorded["images"] as? Int,
            "timm counted \(fixture["correct"] ?? "-"), lgreg recorded \(recorded["correct"] ?? "-")")
    }
}
