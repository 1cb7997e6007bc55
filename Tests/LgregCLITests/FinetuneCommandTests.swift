import Foundation
import LgregTestSupport
import Testing

/// `lgreg finetune` into the store end to end on a few Fashion-MNIST images: a tiny trained learngene tuned into a
/// Des-Net (interrupted and resumed to the same bytes), a scratch baseline, `verify --all` re-measuring both,
/// `report accuracy` in every format against the figures finetune printed, and bad usage.
@Suite(.serialized) struct FinetuneCommandTests {
    let training = ["--epochs", "2", "--batch", "32", "--train-limit", "64", "--eval-limit", "64", "--json"]

    func json(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "not a JSON object: \(text.prefix(300))")
    }

    func validate(_ schema: String, _ document: String) throws {
        let result = try validateJSON(document, against: "\(schema).schema.json")
        #expect(result.status == 0, "\(schema): \(result.message)")
    }

    /// The digest of the weight blob a tag's manifest lists.
    func weightsDigest(_ store: String, tag: String) throws -> String {
        let index = try json(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: store + "/index.json")), as: UTF8.self))
        let descriptor = try #require(
            (index["manifests"] as? [[String: Any]])?.first {
                ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == tag
            })
        let digest = try #require((descriptor["digest"] as? String)?.dropFirst(7))
        let manifest = try json(
            String(
                decoding: try Data(contentsOf: URL(fileURLWithPath: "\(store)/blobs/sha256/\(digest)")), as: UTF8.self))
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(layers.count == 1)
        return try #require(layers.first?["digest"] as? String)
    }

    /// A store in `folder` holding `aux:1`, an SWS learngene (fmnist-tiny, stages 2,1) trained one epoch on 64 images.
    func storeWithATrainedLearngene(_ folder: TemporaryDirectory) throws -> String {
        let store = folder.path("store")
        let archive = folder.path("aux.lgz")
        let train = try runLgreg([
            "train", "sws", "--schedule", "2,1", "--arch", "fmnist-tiny", "--epochs", "1", "--batch", "32",
            "--train-limit", "64",
            "--seed", "3", "-o", archive,
        ])
        #expect(train.status == 0, "\(train.summary)")
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        return store
    }

    /// The dtype of every tensor in a stored weight blob, and the blob's size.
    func blobDTypes(_ store: String, digest: String) throws -> (dtypes: Set<String>, bytes: Int) {
        let blob = try Data(contentsOf: URL(fileURLWithPath: "\(store)/blobs/sha256/\(digest.dropFirst(7))"))
        let headerLength = Int(
            blob.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try json(String(decoding: blob.dropFirst(8).prefix(headerLength), as: UTF8.self))
        return (
            Set(
                header.filter { $0.key != "__metadata__" }.compactMap {
                    ($0.value as? [String: Any])?["dtype"] as? String
                }), blob.count
        )
    }

    @Test func tunedAndScratchDesNetsAreRecordedVerifiedAndReported() throws {
        let folder = try TemporaryDirectory("lgreg-finetune-cli")
        let store = try storeWithATrainedLearngene(folder)

        // Interrupted after epoch 1, then resumed: recorded under the default tag (seed 1 is in it).
        let work = folder.path("work")
        let first = try runLgreg(
            [
                "finetune", "aux", "--depth", "3", "--seed", "1", "--store", store, "--work-dir", work, "--stop-after",
                "1",
            ] + training)
        #expect(first.status == 0, "\(first.summary)")
        #expect(try json(first.out)["stoppedAfter"] as? Int == 1)
        try validate("train-result", first.out)
        let resumed = try runLgreg(
            ["finetune", "aux", "--depth", "3", "--seed", "1", "--store", store, "--work-dir", work, "--resume"]
                + training)
        #expect(resumed.status == 0, "\(resumed.summary)")
        try validate("train-result", resumed.out)
        let tuned = try json(resumed.out)
        let tag = "aux-d3:1-cyclic-front-mid-last-s1-ft2"
        #expect(
            tuned["tag"] as? String == tag && tuned["depth"] as? Int == 3 && tuned["strategy"] as? String == "cyclic")
        let tunedTop1 = try #require(tuned["tunedTop1"] as? Double)

        // The same run uninterrupted, under another tag: the same weight bytes, so one blob.
        let whole = try runLgreg(
            [
                "finetune", "aux", "--depth", "3", "--seed", "1", "--store", store, "--tag", "aux-d3:whole",
                "--work-dir", folder.path("whole"),
            ] + training)
        #expect(whole.status == 0, "\(whole.summary)")
        #expect(try json(whole.out)["tunedTop1"] as? Double == tunedTop1)
        #expect(try weightsDigest(store, tag: tag) == weightsDigest(store, tag: "aux-d3:whole"))

        // A scratch baseline: no learngene, tagged after the architecture, depth, seed and epochs.
        let scratch = try runLgreg([
            "finetune", "--scratch", "--arch", "fmnist-tiny", "--depth", "2", "--store", store, "--epochs", "1",
            "--batch", "32", "--train-limit", "64", "--eval-limit", "64", "--json", "--work-dir",
            folder.path("scratch"),
        ])
        #expect(scratch.status == 0, "\(scratch.summary)")
        let scratchResult = try json(scratch.out)
        #expect(
            scratchResult["tag"] as? String == "scratch-fmnist-tiny-d2:s0-ft1"
                && scratchResult["strategy"] as? String == "scratch")
        let scratchTop1 = try #require(scratchResult["tunedTop1"] as? Double)

        // verify --all re-measures every tuned entry from its stored weights: the recorded figures.
        let verify = try runLgreg(["verify", "--all", "--store", store, "--json"])
        #expect(verify.status == 0, "\(verify.summary)")
        try validate("verify-report", verify.out)
        let verdicts = try #require(try json(verify.out)["learngenes"] as? [[String: Any]])
        var measured: [String: Double] = [:]
        for verdict in verdicts {
            for check in verdict["checks"] as? [[String: Any]] ?? [] where check["check"] as? String == "result" {
                if let value = check["measuredTop1"] as? Double { measured[verdict["reference"] as! String] = value }
            }
        }
        #expect(
            measured[tag] == tunedTop1 && measured["aux-d3:whole"] == tunedTop1
                && measured["scratch-fmnist-tiny-d2:s0-ft1"] == scratchTop1, "\(measured)")

        // report accuracy: the recorded figures in every format, and the plots rendered.
        let report = try runLgreg([
            "report", "accuracy", "aux", "scratch-fmnist-tiny-d2", "--store", store, "--json", "--svg",
            folder.path("accuracy.svg"),
        ])
        #expect(report.status == 0, "\(report.summary)")
        try validate("accuracy-report", report.out)
        let object = try json(report.out)
        let series = Dictionary(
            uniqueKeysWithValues: (object["series"] as? [[String: Any]] ?? []).map {
                ($0["key"] as! String, $0["label"] as! String)
            })
        let rows = try #require(object["rows"] as? [[String: Any]])
        func row(_ label: String) -> [String: Any]? { rows.first { series[$0["series"] as? String ?? ""] == label } }
        let cyclic = try #require(row("SWS front-mid-last"))
        // Two tuned entries of one seed, with equal figures: their mean is that figure and the range is none.
        let tunedStatistic = try #require(cyclic["tuned"] as? [String: Any])
        #expect(
            tunedStatistic["mean"] as? Double == tunedTop1 && tunedStatistic["count"] as? Int == 2
                && cyclic["tunedEpochs"] as? Int == 2)
        #expect((try #require(row("Scratch 1 ep"))["tuned"] as? [String: Any])?["mean"] as? Double == scratchTop1)
        // The trained network's declared accuracy is its untuned row.
        #expect(((try #require(row("Aux-Net"))["untuned"] as? [String: Any])?["count"] as? Int) == 1)
        let render = try runProcess("rsvg-convert", ["-o", folder.path("accuracy.png"), folder.path("accuracy.svg")])
        #expect(render.status == 0, "\(render.summary)")
        let csv = try runLgreg(["report", "accuracy", "aux", "--store", store, "--csv"])
        #expect(csv.status == 0 && csv.out.contains(",SWS front-mid-last,aux:1,,,,\(100 * tunedTop1),"), "\(csv.out)")
        let markdown = try runLgreg(["report", "accuracy", "--store", store, "--markdown"])
        #expect(
            markdown.status == 0
                && markdown.out.contains(
                    String(
                        format: "| Des-2 | 2 | Scratch 1 ep | scratch-fmnist-tiny |  |  |  | %.2f |", 100 * scratchTop1)
                ), "\(markdown.out)")

        // show and list say what each tuned Des-Net is: lineage (or none), depth, recipe and the recorded top-1.
        let shown = try runLgreg(["show", tag, "--store", store])
        #expect(
            shown.status == 0 && shown.out.contains("lineage:      aux:1, depth 3, cyclic (front-mid-last)")
                && shown.out.contains("recipe:       2 epochs, lr 5e-05 → 1e-06 after 0 warm-up epochs, batch 32")
                && shown.out.contains(String(format: "top-1:        %.2f%% on fashion-mnist:test", 100 * tunedTop1)),
            "\(shown.out)")
        let shownScratch = try runLgreg(["show", "scratch-fmnist-tiny-d2:s0-ft1", "--store", store, "--json"])
        try validate("store-output", shownScratch.out)
        let tunedConfig = (try json(shownScratch.out)["show"] as? [String: Any])?["tuned"] as? [String: Any]
        #expect(
            (tunedConfig?["result"] as? [String: Any])?["top1"] as? Double == scratchTop1
                && tunedConfig?["depth"] as? Int == 2, "\(shownScratch.out.prefix(400))")
        #expect(
            try runLgreg(["show", "scratch-fmnist-tiny-d2:s0-ft1", "--store", store]).out.contains(
                "lineage:      trained from scratch, no learngene"))
        let listed =
            try json(try runLgreg(["list", "--kind", "tuned", "--store", store, "--json"]).out)["list"]
            as? [[String: Any]] ?? []
        #expect(listed.map { $0["layers"] as? Int } == [3, 3, 2], "\(listed)")
        // fmnist-tiny: 49,984 parameters a block and 5,002 outside them, so 3·49,984 + 5,002 and 2·49,984 + 5,002.
        #expect(listed.map { $0["parameters"] as? Int } == [154_954, 154_954, 104_970], "\(listed)")

        // rm of the learngene names what derives from it and removes nothing.
        let rm = try runLgreg(["rm", "aux:1", "--store", store])
        #expect(rm.status == 1 && rm.err.contains(tag), "\(rm.summary)")
    }

    /// `--dtype f16` records the same training at half the bytes, and the recorded top-1 is that of the rounded
    /// weights: verify re-measures it exactly, and it stays within 0.5 points of the F32 weights' (IEEE half keeps 11
    /// significant bits; a tiny model's prediction flips on a few of the 10,000 test images at most).
    @Test func halfPrecisionWeightsAreRecordedAndMeasuredAsStored() throws {
        let folder = try TemporaryDirectory("lgreg-finetune-f16")
        let store = try storeWithATrainedLearngene(folder)
        var top1: [String: Double] = [:]
        for dtype in ["f32", "f16"] {
            let tuned = try runLgreg(
                [
                    "finetune", "aux", "--depth", "3", "--store", store, "--tag", "aux-d3:\(dtype)", "--dtype", dtype,
                    "--work-dir", folder.path(dtype),
                ] + training)
            #expect(tuned.status == 0, "\(tuned.summary)")
            try validate("train-result", tuned.out)
            #expect(try json(tuned.out)["dtype"] as? String == dtype.uppercased())
            top1[dtype] = try #require(try json(tuned.out)["tunedTop1"] as? Double)
        }
        let full = try blobDTypes(store, digest: try weightsDigest(store, tag: "aux-d3:f32"))
        let half = try blobDTypes(store, digest: try weightsDigest(store, tag: "aux-d3:f16"))
        #expect(full.dtypes == ["F32"] && half.dtypes == ["F16"], "\(full.dtypes) \(half.dtypes)")
        #expect(
            abs(Double(half.bytes) / Double(full.bytes) - 0.5) < 0.02,
            "F16 blob \(half.bytes) bytes against F32 \(full.bytes)")
        #expect(abs(top1["f16"]! - top1["f32"]!) <= 0.005, "top-1 F16 \(top1["f16"]!) against F32 \(top1["f32"]!)")

        let verify = try runLgreg(["verify", "aux-d3:f16", "--store", store, "--json"])
        #expect(verify.status == 0, "\(verify.summary)")
        let checks =
            (try json(verify.out)["learngenes"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]] ?? []
        let measured = checks.first { $0["check"] as? String == "result" }?["measuredTop1"] as? Double
        #expect(measured == top1["f16"], "verify measured \(measured ?? -1), finetune recorded \(top1["f16"]!)")

        let refused = try runLgreg(["finetune", "aux", "--depth", "3", "--store", store, "--dtype", "i64"] + training)
        #expect(
            refused.status == 64 && refused.err.contains("--dtype must be f32, f16 or bf16, got i64"),
            "\(refused.summary)")
    }

    @Test func badUsageIsRefusedBeforeTraining() throws {
        let folder = try TemporaryDirectory("lgreg-finetune-usage")
        let store = folder.path("store")
        let archive = folder.path("aux.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "2,1", "--random", "--name", "aux",
                "--learngene-version", "1",
                "--output", archive,
            ]).status == 0)
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        for (arguments, fragment) in [
            (["finetune", "--scratch", "--depth", "2", "--strategy", "random"], "--scratch takes no --strategy"),
            (["finetune", "aux"], "Give --depth"),
            (["finetune", archive, "--depth", "3"], "pass --output"),
            (["finetune", "model.safetensors", "--depth", "3", "-o", "x.safetensors"], "drop --depth"),
        ] {
            let run = try runLgreg(arguments + ["--store", store, "--epochs", "1"])
            #expect(run.status == 64 && run.err.contains(fragment), "\(arguments): \(run.summary)")
        }
        // A tag that names a learngene is refused (exit 1) before any training.
        let clash = try runLgreg([
            "finetune", "aux", "--depth", "3", "--tag", "aux:1", "--store", store, "--epochs", "1", "--train-limit",
            "8",
        ])
        #expect(clash.status == 1 && clash.err.contains("aux:1"), "\(clash.summary)")
        #expect(!FileManager.default.fileExists(atPath: "aux_1.train"))
    }
}
