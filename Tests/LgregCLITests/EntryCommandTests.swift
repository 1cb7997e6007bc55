import Foundation
import LgregTestSupport
import Testing

/// Des-Nets as store entries: listed with their lineage, shown, exported, evaluated and verified by their tag;
/// `rm` refuses to orphan them; `du` and `gc` account for what they share with their learngene.
@Suite struct EntryCommandTests {
    /// A store holding an SWS learngene of the zoo's shape (`fmnist-tiny-sws:1`: fmnist-tiny, schedule 3,3,4,3,3,
    /// random weights) and two of its Des-Nets.
    struct Zoo {
        let folder: TemporaryDirectory, store: String
        static let d12 = "fmnist-tiny-sws-d12:1-cyclic-front-mid-last"
        static let d8 = "fmnist-tiny-sws-d8:1-random-s0"

        init() throws {
            folder = try TemporaryDirectory("lgreg-entries")
            store = folder.path("store")
            let archive = folder.path("fmnist-tiny-sws.lgz")
            let made = try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "fmnist-tiny-sws",
                "--learngene-version", "1", "-o", archive,
            ])
            #expect(made.status == 0, "\(made.summary)")
            let published = try runLgreg(["publish", archive, "--store", store])
            #expect(published.status == 0, "\(published.summary)")
            for extra in [["--depth", "12"], ["--depth", "8", "--strategy", "random"]] {
                let made = try runLgreg(["materialize", "fmnist-tiny-sws"] + extra + ["--store", store])
                #expect(made.status == 0, "\(made.summary)")
            }
        }

        func run(_ arguments: [String]) throws -> ProcessOutput { try runLgreg(arguments + ["--store", store]) }

        func json(_ arguments: [String]) throws -> [String: Any] {
            let result = try run(arguments + ["--json"])
            #expect(result.status == 0, "\(result.summary)")
            return try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        }

        /// Sizes of the files in blobs/sha256 by digest.
        func blobSizes() throws -> [String: Int] {
            let blobs = URL(fileURLWithPath: store).appendingPathComponent("blobs/sha256")
            return Dictionary(
                uniqueKeysWithValues: try FileManager.default.contentsOfDirectory(atPath: blobs.path).map { name in
                    (
                        "sha256:" + name,
                        (try FileManager.default.attributesOfItem(atPath: blobs.appendingPathComponent(name).path)[
                            .size] as! NSNumber).intValue
                    )
                })
        }
    }

    @Test func listShowsDerivedEntriesWithTheirLineageOnlyWhenAsked() throws {
        let zoo = try Zoo()
        let plain = try zoo.run(["list"])
        #expect(
            plain.status == 0 && plain.out.contains("fmnist-tiny-sws:1") && !plain.out.contains(Zoo.d12),
            "\(plain.summary)")
        let all = try zoo.run(["list", "--all"])
        #expect(all.out.contains("fmnist-tiny-sws:1, depth 12, cyclic (front-mid-last)"), "\(all.summary)")
        #expect(all.out.contains("fmnist-tiny-sws:1, depth 8, random"), "\(all.summary)")
        let rows = try zoo.json(["list", "--kind", "desnet"])["list"] as! [[String: Any]]
        #expect(rows.map { $0["reference"] as! String }.sorted() == [Zoo.d12, Zoo.d8])
        // Each Des-Net's parameters at its depth, from its config: fmnist-tiny has 49,984 a block and 5,002 outside them.
        #expect(rows.map { $0["parameters"] as? Int } == [12 * 49_984 + 5_002, 8 * 49_984 + 5_002], "\(rows)")
        let d12Line = all.out.split(separator: "\n").first { $0.contains(Zoo.d12) } ?? ""
        #expect(d12Line.contains(" 0.6 "), "Des-12's 604,810 parameters in millions: \(d12Line)")
        let lineage = try #require(rows.first { $0["reference"] as? String == Zoo.d12 }?["lineage"] as? [String: Any])
        #expect(
            lineage["learngene"] as? String == "fmnist-tiny-sws:1" && lineage["depth"] as? Int == 12
                && lineage["order"] as? String == "front-mid-last")
        let named = try zoo.json(["list", "--name", "fmnist-tiny-sws"])["list"] as! [[String: Any]]
        #expect(
            named.map { $0["reference"] as! String } == ["fmnist-tiny-sws:1", Zoo.d12, Zoo.d8],
            "the learngene, then what derives from it")
        let learngenes = try zoo.json(["list", "--kind", "learngene"])["list"] as! [[String: Any]]
        #expect(learngenes.map { $0["reference"] as! String } == ["fmnist-tiny-sws:1"])
        let bogus = try zoo.run(["list", "--kind", "bogus"])
        #expect(bogus.status == 64 && bogus.err.contains("'bogus'"), "\(bogus.summary)")
    }

    @Test func showDrawsLineageAndADesNetsConfig() throws {
        let zoo = try Zoo()
        let shown = try zoo.run(["show", Zoo.d12])
        #expect(shown.status == 0, "\(shown.summary)")
        // The authors' published depth-12 map for schedule 3,3,4,3,3.
        #expect(shown.out.contains("layer map:    0,0,0,1,1,1,2,2,3,3,4,4"), "\(shown.out)")
        #expect(
            shown.out.contains("lineage:      fmnist-tiny-sws:1, depth 12, cyclic (front-mid-last)"), "\(shown.out)")
        let tree = try zoo.run(["show", Zoo.d8, "--lineage"])
        #expect(
            tree.out == """
                fmnist-tiny-sws:1  [learngene]
                ├── \(Zoo.d8)  [desnet, depth 8, random]
                └── \(Zoo.d12)  [desnet, depth 12, cyclic (front-mid-last)]

                """, "\(tree.summary)")
        let learngene = try zoo.run(["show", "fmnist-tiny-sws"])
        #expect(learngene.out.contains("Des-Nets:    \(Zoo.d12), \(Zoo.d8)"), "\(learngene.out)")
        #expect(
            learngene.out.contains(
                "architecture: 28×28×1 images, patch 4, width 64, 2 heads, MLP ratio 4, 10 classes, avg-norm-first pooling"
            ), "\(learngene.out)")
        #expect(learngene.out.contains("declared results: none"), "\(learngene.out)")
        for (arguments, schema) in [
            (["show", Zoo.d12], "store-output.schema.json"),
            (["show", Zoo.d12, "--lineage"], "store-output.schema.json"),
        ] {
            let out = try zoo.run(arguments + ["--json"]).out
            let (status, message) = try validateJSON(out, against: schema)
            #expect(status == 0, "\(arguments): \(message)")
        }
        // A command that needs a learngene says what the Des-Net is instead of a garbled "not found".
        let plan = try zoo.run(["plan", Zoo.d12, "--depth", "6"])
        #expect(plan.status == 64, "\(plan.summary)")
        #expect(
            plan.err.contains("'\(Zoo.d12)' (")
                && plan.err.contains("is not a learngene but a derived entry (application/vnd.lgreg.desnet.v1)"),
            "\(plan.err)")
    }

    /// The storage ratio divides exact counts: for fmnist-tiny at depths 6..15 against 5 layers, 5,298,340 / 254,922
    /// = 20.78 → 20.8×, as Registry/README.md quotes it (the rounded rows would give 18.3×).
    @Test func savingsOfTheZoosLearngeneUseExactCounts() throws {
        let zoo = try Zoo()
        let text = try zoo.run(["report", "savings", "fmnist-tiny-sws", "--depths", "6-15"])
        #expect(
            text.status == 0 && text.out.contains("(exactly 5,298,340)")
                && text.out.contains("(exactly 254,922): 20.8× less"), "\(text.out)")
        let report = try zoo.json(["report", "savings", "fmnist-tiny-sws", "--depths", "6-15"])
        let ratio = try #require(report["storageRatio"] as? Double)
        #expect(abs(ratio - 5_298_340.0 / 254_922.0) <= 1e-9, "storageRatio \(ratio)")
    }

    @Test func exportOfAStoredDesNetIsWhatMaterializeWrote() throws {
        let zoo = try Zoo()
        let materialized = zoo.folder.path("materialized")
        let exported = zoo.folder.path("exported")
        #expect(try zoo.run(["materialize", "fmnist-tiny-sws", "--depth", "12", "--output", materialized]).status == 0)
        let export = try zoo.run(["export", Zoo.d12, "-o", exported])
        #expect(export.status == 0, "\(export.summary)")
        for file in ["model.safetensors", "config.json", "README.md"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: materialized).appendingPathComponent(file))
            let b = try Data(contentsOf: URL(fileURLWithPath: exported).appendingPathComponent(file))
            #expect(a == b, "\(file) differs: \(a.count) against \(b.count) bytes")
        }
    }

    @Test func rmRefusesToOrphanUnlessToldAndGCKeepsWhatDesNetsUse() throws {
        let zoo = try Zoo()
        let refused = try zoo.run(["rm", "fmnist-tiny-sws"])
        #expect(refused.status == 1, "\(refused.summary)")
        #expect(refused.err.contains("has 2 derived entries: \(Zoo.d12), \(Zoo.d8)"), "\(refused.err)")
        #expect(try zoo.run(["list"]).out.contains("fmnist-tiny-sws:1"), "nothing removed")

        let forced = try zoo.run(["rm", "fmnist-tiny-sws", "--force"])
        #expect(forced.status == 0 && forced.out == "removed fmnist-tiny-sws:1\n", "\(forced.summary)")
        #expect(forced.err.contains("warning: \(Zoo.d12) is left orphaned"), "\(forced.err)")
        // Two partial downloads of interrupted pulls: one from eight days ago goes with the default 7-day grace,
        // one from today stays (a pull may resume it).
        let downloads = zoo.store + "/.lgreg/downloads"
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        for (name, age) in [("sha256-old.part", 8 * 86_400.0), ("sha256-new.part", 60.0)] {
            let path = downloads + "/" + name
            try Data(count: 1000).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: path)
        }
        let aged = try zoo.run(["gc"])
        #expect(aged.status == 0 && aged.out.contains("; 1 temp files"), "\(aged.summary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: downloads) == ["sha256-new.part"])
        let gc = try zoo.run(["gc", "--grace", "0", "--prune-dangling"])
        #expect(gc.status == 0 && gc.out.hasPrefix("deleted 0 blobs"), "the orphans' learngene is kept: \(gc.summary)")
        let orphan = try zoo.run(["show", Zoo.d12])
        #expect(
            orphan.status == 0 && orphan.out.contains("(untagged), depth 12") && orphan.out.contains("orphaned"),
            "\(orphan.summary)")

        let removed = try zoo.run(["rm", Zoo.d12, "--with-derived"])
        #expect(removed.status == 0 && removed.out == "removed \(Zoo.d12)\n", "\(removed.summary)")
        #expect(try zoo.run(["rm", Zoo.d8]).status == 0)
        let swept = try zoo.run(["gc", "--grace", "0", "--prune-dangling", "--json"])
        let report =
            (try JSONSerialization.jsonObject(with: Data(swept.out.utf8)) as! [String: Any])["gc"] as! [String: Any]
        #expect(
            (report["blobs"] as! [String]).count == 12,
            "2 Des-Net manifests and configs, the learngene's manifest, config, shared file and 5 layers: \(swept.out)")
    }

    @Test func duCountsSharedAndReclaimableBytesFromTheFiles() throws {
        let zoo = try Zoo()
        let sizes = try zoo.blobSizes()
        let usage = try zoo.json(["du"])["du"] as! [String: Any]
        #expect(usage["storedBytes"] as? Int == sizes.values.reduce(0, +))
        #expect(usage["blobs"] as? Int == sizes.count)
        #expect(usage["reclaimableBytes"] as? Int == 0 && usage["danglingBytes"] as? Int == 0)
        let shown = try zoo.json(["show", "fmnist-tiny-sws"])["show"] as! [String: Any]
        let learngeneLayers = (shown["blobs"] as! [[String: Any]]).map { $0["digest"] as! String }
        // Both Des-Nets use the shared file and all 5 layers (random-assigned at depth 8 covers every stage).
        #expect(usage["sharedBytes"] as? Int == learngeneLayers.map { sizes[$0]! }.reduce(0, +))
        let entries = Dictionary(
            uniqueKeysWithValues: (usage["entries"] as! [[String: Any]]).map { ($0["reference"] as! String, $0) })
        let desNet = try #require(entries[Zoo.d12])
        let digest = desNet["digest"] as! String
        let image =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: zoo.store + "/blobs/sha256/" + digest.dropFirst(7))))
            as! [String: Any]
        let configDigest = (image["config"] as! [String: Any])["digest"] as! String
        #expect(
            desNet["uniqueBytes"] as? Int == sizes[digest]! + sizes[configDigest]!,
            "a Des-Net costs its manifest and config only: \(desNet)")
        #expect(desNet["sharedBytes"] as? Int == usage["sharedBytes"] as? Int)
        let (status, message) = try validateJSON(
            try zoo.run(["du", "--json"]).out, against: "store-output.schema.json")
        #expect(status == 0, "\(message)")
        let text = try zoo.run(["du"]).out
        #expect(text.contains("reclaimable: 0 B"), "\(text)")
    }

    @Test func evalAndVerifyOfADesNetRemeasureItsLearngenesClaim() throws {
        let setup = try VerifyCommandTests.Setup()
        try setup.publish(
            "good",
            results: [
                [
                    "depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet,
                    "top1": VerifyCommandTests.timmTop1,
                ]
            ])
        let made = try runLgreg(["materialize", "good", "--depth", "2", "--strategy", "imwlm", "--store", setup.store])
        #expect(made.status == 0 && made.out.contains("recorded:  good-d2:1-imwlm"), "\(made.summary)")
        let eval = try runLgreg(["eval", "good-d2:1-imwlm", "--data", setup.evalSet, "--json", "--store", setup.store])
        #expect(eval.status == 0, "\(eval.summary)")
        let row =
            ((try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as! [String: Any])["rows"] as! [[String: Any]])[
                0]
        #expect(
            row["correct"] as? Int == 107 && row["top1"] as? Double == VerifyCommandTests.timmTop1,
            "timm's own count: \(row)")
        // show prints the learngene's declared results, top-1 in percent.
        let card = try runLgreg(["show", "good", "--store", setup.store])
        let declaredRow =
            #"\b2\s+imwlm\s+0\s+"# + NSRegularExpression.escapedPattern(for: setup.evalSet) + #"\s+10\.70\n"#
        #expect(card.out.range(of: declaredRow, options: .regularExpression) != nil, "\(card.out)")
        let refused = try runLgreg(["eval", "good-d2:1-imwlm", "--depth", "3", "--store", setup.store])
        #expect(refused.status == 64 && refused.err.contains("is a Des-Net"), "\(refused.summary)")

        let verify = try runLgreg(["verify", "good-d2:1-imwlm", "--json", "--store", setup.store])
        #expect(verify.status == 0, "\(verify.summary)")
        let (valid, message) = try validateJSON(verify.out, against: "verify-report.schema.json")
        #expect(valid == 0, "\(message)")
        let checks =
            ((try JSONSerialization.jsonObject(with: Data(verify.out.utf8)) as! [String: Any])["learngenes"]
            as! [[String: Any]])[0]["checks"] as! [[String: Any]]
        #expect(checks.map { $0["check"] as! String } == ["learngene", "blobs", "config", "result"])
        #expect(checks.allSatisfy { $0["status"] as? String == "ok" }, "\(checks)")
        #expect(checks[3]["measuredTop1"] as? Double == VerifyCommandTests.timmTop1)

        // A damaged config blob is a mismatch.
        let shown =
            try JSONSerialization.jsonObject(
                with: Data(try runLgreg(["show", "good-d2:1-imwlm", "--json", "--store", setup.store]).out.utf8))
            as! [String: Any]
        let digest = (shown["show"] as! [String: Any])["digest"] as! String
        let image =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: setup.store + "/blobs/sha256/" + digest.dropFirst(7))))
            as! [String: Any]
        let config = URL(
            fileURLWithPath: setup.store + "/blobs/sha256/"
                + ((image["config"] as! [String: Any])["digest"] as! String).dropFirst(7))
        var bytes = try Data(contentsOf: config)
        bytes[bytes.count / 2] ^= 0x01
        try FileManager.default.removeItem(at: config)
        try bytes.write(to: config)
        let damaged = try runLgreg(["verify", "good-d2:1-imwlm", "--store", setup.store])
        #expect(
            damaged.status == 1 && damaged.out.contains("mismatch      manifest: \(config.path): content hashes to"),
            "\(damaged.summary)")
    }
}
