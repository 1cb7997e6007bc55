import Foundation
import LgregTestSupport
import Testing

/// `lgreg eval REF` and `lgreg verify` on a stored learngene whose declared accuracy is timm's own figure.
@Suite(.serialized) struct VerifyCommandTests {
    /// A store holding the `fmnist-shape` fixture (a 2-block model) packed as a plain learngene under `name`,
    /// with the given declared results, and an eval set of the first 1,000 Fashion-MNIST test images.
    struct Setup {
        let folder: TemporaryDirectory, dir: URL, store: String, evalSet: String

        init() throws {
            folder = try TemporaryDirectory("lgreg-verify")
            dir = folder.url
            store = folder.path("store")
            evalSet = folder.path("fmnist-1000.safetensors")
            let made = try runProcess(
                "python3", [repositoryRoot.appendingPathComponent("Examples/make_eval_set.py").path, evalSet, "1000"])
            #expect(made.status == 0, "\(made.summary)")
        }

        func publish(_ name: String, results: [[String: Any]]) throws {
            let architecture: [String: Any] = [
                "imageSize": 28, "patchSize": 4, "inChannels": 1, "width": 32, "heads": 2, "mlpRatio": 4, "classes": 10,
                "classToken": false, "pooling": "avg-norm-first", "layerNormEps": 1e-6, "qkvBias": true,
            ]
            let template: [String: Any] = [
                "schemaVersion": 1, "name": name, "version": "1", "description": "timm fixture", "license": "MIT",
                "kind": "plain",
                "architecture": architecture, "schedule": [1, 1], "dtype": "F32",
                "provenance": ["trained": false, "toolVersion": "timm"], "results": results,
            ]
            let templatePath = dir.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: template).write(to: templatePath)
            let model = EvalCommandTests.fixtures.appendingPathComponent("fmnist-shape.model.safetensors").path
            let archive = dir.appendingPathComponent("\(name).lgz").path
            let pack = try runLgreg(["pack", model, "--manifest", templatePath.path, "-o", archive])
            #expect(pack.status == 0, "\(pack.err)")
            let publish = try runLgreg(["publish", archive, "--store", store])
            #expect(publish.status == 0, "\(publish.err)")
        }
    }

    // timm's fmnist-shape model gets 107 of the first 1,000 test images right (fixture metadata).
    static let timmTop1 = 0.107

    @Test func goodClaimPassesWrongClaimFailsUnknownDataCannotBeVerified() throws {
        let setup = try Setup()
        try setup.publish(
            "good",
            results: [
                ["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": Self.timmTop1],
                ["depth": 2, "strategy": "imwlm", "tunedEpochs": 5, "evalSet": setup.evalSet, "top1": 0.5],
            ])
        let good = try runLgreg(["verify", "good:1", "--store", setup.store, "--json"])
        #expect(good.status == 0, "\(good.out)\(good.err)")
        let (valid, message) = try validateJSON(good.out, against: "verify-report.schema.json")
        #expect(valid == 0, "\(message)")
        let report = try JSONSerialization.jsonObject(with: Data(good.out.utf8)) as! [String: Any]
        let checks = ((report["learngenes"] as! [[String: Any]])[0]["checks"] as! [[String: Any]])
        #expect(checks.map { $0["status"] as! String } == ["ok", "ok", "ok", "ok", "skipped"])
        #expect(checks[3]["measuredTop1"] as? Double == Self.timmTop1, "a fraction, as manifests give it")
        // The kernels it ran: the user's OPENBLAS_CORETYPE when set; unset, never OpenBLAS's SSE3 fallback, since a
        // compute command starts again with the kernels this CPU runs (lgreg's build itself needs AVX2).
        let kernels = ((report["evaluation"] as? [String: Any])?["blasKernels"] as? String) ?? ""
        if let chosen = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !chosen.isEmpty {
            #expect(kernels.lowercased() == chosen.lowercased(), "\(kernels)")
        } else {
            #expect(!kernels.isEmpty && kernels != "Prescott", "\(kernels)")
        }
        let pinned = try runLgreg(
            ["verify", "good:1", "--store", setup.store, "--json"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(pinned.out.contains("\"blasKernels\" : \"Haswell\""), "\(pinned.summary)")

        // eval REF expands the learngene the same way and measures the same figure.
        let eval = try runLgreg([
            "eval", "good:1", "--store", setup.store, "--depths", "2", "--strategy", "imwlm",
            "--data", setup.evalSet, "--json",
        ])
        #expect(eval.status == 0, "\(eval.err)")
        let rows =
            (try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as! [String: Any])["rows"] as! [[String: Any]]
        #expect(rows.first?["correct"] as? Int == 107 && rows.first?["layerMap"] as? String == "0,1")
        #expect(rows.first?["top1"] as? Double == Self.timmTop1, "eval --json gives top-1 as a fraction")

        try setup.publish(
            "overclaimed",
            results: [["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": 0.109]])
        let wrong = try runLgreg(["verify", "overclaimed:1", "--store", setup.store])
        #expect(wrong.status == 1)
        #expect(wrong.out.contains("declared 10.90%, measured 10.70% (107/1000)"), "\(wrong.out)")

        try setup.publish(
            "elsewhere",
            results: [["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": "cifar-10", "top1": 0.1]])
        let unknown = try runLgreg(["verify", "elsewhere:1", "--store", setup.store])
        #expect(unknown.status == 2, "\(unknown.out)")
        #expect(unknown.out.contains("cannot-verify"))

        // --depths re-measures only the results at those depths: the overclaim at depth 2 is skipped at depth 3,
        // counted in one line (--json still names it).
        let elsewhereDepth = try runLgreg(["verify", "overclaimed:1", "--depths", "3-4", "--store", setup.store])
        #expect(
            elsewhereDepth.status == 0 && elsewhereDepth.out.contains("skipped")
                && elsewhereDepth.out.contains("1 declared result at other depths than --depths 3-4"),
            "\(elsewhereDepth.summary)")
        let elsewhereJSON = try runLgreg([
            "verify", "overclaimed:1", "--depths", "3-4", "--store", setup.store, "--json",
        ])
        #expect(elsewhereJSON.out.contains("not among the depths asked for (3,4)"), "\(elsewhereJSON.summary)")
        #expect(try runLgreg(["verify", "overclaimed:1", "--depths", "2", "--store", setup.store]).status == 1)
        #expect(try runLgreg(["verify", "--all", "--store", setup.store]).status == 1)
        #expect(try runLgreg(["verify", "--store", setup.store]).status == 64)

        // Every verdict is recorded in the store's index.
        let count = try runProcess(
            "python3",
            [
                "-c",
                "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM verifications WHERE detail LIKE 'lgreg verify:%'\").fetchone()[0])",
                setup.store + "/.lgreg/index.db",
            ])
        // good twice, overclaimed, elsewhere, the three --depths runs (text, --json, depth 2), --all's three
        #expect(count.out == "10\n", "\(count.summary)")
    }

    @Test func declaredFiguresAreTimmsAndVerifyReproducesThem() throws {
        let setup = try Setup()
        try setup.publish("undeclared", results: [])
        let declared = setup.dir.appendingPathComponent("declared.lgz").path
        let eval = try runLgreg([
            "eval", setup.dir.appendingPathComponent("undeclared.lgz").path, "--depths", "2",
            "--strategy", "imwlm", "--data", setup.evalSet, "--declare", declared,
        ])
        #expect(eval.status == 0, "\(eval.err)")
        let inspected = try runLgreg(["inspect", declared, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as? [String: Any]
        let manifest = (document?["inspect"] as? [String: Any])?["manifest"] as? [String: Any]
        let results = manifest?["results"] as? [[String: Any]] ?? []
        #expect(results.count == 1)
        #expect(results.first?["top1"] as? Double == Self.timmTop1, "the measured figure is timm's own count")
        #expect(results.first?["strategy"] as? String == "imwlm")
        // A published version is immutable, so the declared copy goes to a store of its own.
        let store = setup.dir.appendingPathComponent("declared-store").path
        #expect(try runLgreg(["publish", declared, "--store", store]).status == 0)
        let verify = try runLgreg(["verify", "undeclared", "--store", store])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        let refused = try runLgreg([
            "eval", setup.dir.appendingPathComponent("undeclared.lgz").path, "--depths", "2",
            "--data", setup.evalSet, "--limit", "10", "--declare", declared,
        ])
        #expect(refused.status == 64)
        #expect(refused.err.contains("--declare measures the whole data set"))
    }

    /// Random-assigned results declared seed by seed, one archive copy after another (as Registry/build.sh declares
    /// seeds 0..4), on the zoo's SWS learngene at depth 12, where seeds 0, 1 and 2 draw three different layer maps:
    /// each is recorded with its seed and is the figure `eval --seed` gives alone, and verify re-measures each with
    /// its own seed (one seed for all would be a mismatch).
    @Test func randomAssignedResultsAreDeclaredAndVerifiedSeedBySeed() throws {
        let setup = try Setup()
        var current = repositoryRoot.appendingPathComponent("Registry/fmnist-tiny-sws.lgz").path
        var alone: [Int: Double] = [:]
        for seed in 0..<3 {
            let next = setup.dir.appendingPathComponent("seeded-\(seed).lgz").path
            let eval = try runLgreg([
                "eval", current, "--depths", "12", "--strategy", "random", "--seed", String(seed), "--data",
                setup.evalSet,
                "--declare", next, "--json",
            ])
            #expect(eval.status == 0, "\(eval.summary)")
            alone[seed] =
                ((try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as? [String: Any])?["rows"]
                as? [[String: Any]])?.first?["top1"] as? Double
            current = next
        }
        let inspected =
            try JSONSerialization.jsonObject(with: Data(try runLgreg(["inspect", current, "--json"]).out.utf8))
            as? [String: Any]
        let results =
            ((((inspected?["inspect"] as? [String: Any])?["manifest"] as? [String: Any])?["results"] as? [[String: Any]])
            ?? [])
            .filter { $0["evalSet"] as? String == setup.evalSet }
        let declared = Dictionary(
            uniqueKeysWithValues: results.map { ($0["seed"] as? Int ?? -1, $0["top1"] as? Double ?? -1) })
        #expect(
            declared.keys.sorted() == [0, 1, 2]
                && results.allSatisfy { $0["strategy"] as? String == "random" && $0["depth"] as? Int == 12 },
            "\(results)")
        for (seed, top1) in alone {
            #expect(declared[seed] == top1, "seed \(seed): declared \(declared[seed] ?? -1), eval alone \(top1)")
        }
        #expect(Set(declared.values).count == 3, "three maps, three figures: \(declared)")

        let store = setup.dir.appendingPathComponent("seeded-store").path
        #expect(try runLgreg(["publish", current, "--store", store]).status == 0)
        let verify = try runLgreg(["verify", "fmnist-tiny-sws", "--depths", "12", "--store", store, "--json"])
        #expect(verify.status == 0, "\(verify.summary)")
        let checks =
            ((try JSONSerialization.jsonObject(with: Data(verify.out.utf8)) as? [String: Any])?["learngenes"]
            as? [[String: Any]])?.first?["checks"] as? [[String: Any]] ?? []
        let remeasured = checks.filter { $0["check"] as? String == "result" && $0["depth"] as? Int == 12 }
        #expect(remeasured.count >= 3 && remeasured.allSatisfy { $0["status"] as? String == "ok" }, "\(remeasured)")
    }

    @Test func damagedBlobIsAMismatch() throws {
        let setup = try Setup()
        try setup.publish("damaged", results: [])
        let report =
            try JSONSerialization.jsonObject(
                with: Data(try runLgreg(["show", "damaged:1", "--store", setup.store, "--json"]).out.utf8))
            as! [String: Any]
        let shown = report["show"] as! [String: Any]
        let layer = (shown["blobs"] as! [[String: Any]]).last!["digest"] as! String
        let path = setup.store + "/blobs/sha256/" + layer.dropFirst("sha256:".count)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 1] ^= 0xFF
        try? FileManager.default.removeItem(atPath: path)
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = try runLgreg(["verify", "damaged:1", "--store", setup.store])
        #expect(result.status == 1)
        #expect(result.out.contains("mismatch      blobs: \(path) hashes to sha256:"), "\(result.out)")
    }
}
