import Foundation
import LgregTestSupport
import Testing

/// `lgreg train` and `lgreg finetune` end to end on a few Fashion-MNIST images: archives, metrics lines and
/// metadata checked against their schemas by an outside validator, --resume, and bad input.
@Suite(.serialized) struct TrainCommandTests {
    /// Runs a command line in the repository and returns its status and standard output and error together.
    func shell(_ command: String) throws -> (status: Int32, out: String) {
        let result = try runProcess("/bin/sh", ["-c", command], directory: repositoryRoot)
        return (result.status, result.out + result.err)
    }

    func validate(_ schema: String, json: String) throws {
        let result = try validateJSON(json, against: "\(schema).schema.json")
        #expect(result.status == 0, "\(schema): \(result.message)")
    }

    let common = [
        "--arch", "fmnist-tiny", "--epochs", "2", "--batch", "32", "--train-limit", "64", "--eval-limit", "64",
        "--seed", "5", "--json",
    ]

    @Test func cachedTeacherLogitsDistilTheSameWeightsAsTheLiveTeacher() throws {
        let temporary = try TemporaryDirectory("lgreg-train-logits")
        let path = { (name: String) in temporary.path(name) }
        #expect(try runLgreg(["train", "plain", "--depth", "2"] + common + ["-o", path("teacher.lgz")]).status == 0)
        #expect(
            try runLgreg(["materialize", path("teacher.lgz"), "--layers-source", "0,1", "--output", path("teacher")])
                .status == 0)
        let teacher = path("teacher/model.safetensors")

        // --stop-after 0 writes the logits alone: no archive, no work folder.
        let logits = try runLgreg(
            ["train", "sws", "--schedule", "2,1"] + common + [
                "--teacher", teacher, "--write-teacher-logits", path("logits.safetensors"),
                "--stop-after", "0", "-o", path("unused.lgz"),
            ])
        #expect(logits.status == 0, "\(logits.summary)")
        try validate("train-result", json: logits.out)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(logits.out.utf8)) as? [String: Any])
        #expect(report["epochs"] as? Int == 2 && report["images"] as? Int == 64, "\(report)")
        #expect(FileManager.default.fileExists(atPath: path("logits.safetensors")))
        #expect(
            !FileManager.default.fileExists(atPath: path("unused.lgz"))
                && !FileManager.default.fileExists(atPath: path("unused.lgz.train")))

        // Distilling from the cache and from the live teacher: the same weights. The cache computes the teacher in
        // image order and the live teacher in shuffled batches, and an image's place in a GEMM can change its last
        // bits (OpenBLAS's Haswell kernels do), so the tensors are compared to 1e-4, not byte for byte.
        #expect(
            try runLgreg(
                ["train", "sws", "--schedule", "2,1"] + common + [
                    "--teacher-logits", path("logits.safetensors"), "-o", path("cached.lgz"),
                ]
            ).status == 0)
        #expect(
            try runLgreg(
                ["train", "sws", "--schedule", "2,1"] + common + ["--teacher", teacher, "-o", path("live.lgz")]
            ).status == 0)
        let compare = """
            import json, struct, sys
            def load(path):
                raw = open(path, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; header = json.loads(raw[8:8 + n]); body = raw[8 + n:]
                return {k: struct.unpack('<%df' % ((v['data_offsets'][1] - v['data_offsets'][0]) // 4), body[v['data_offsets'][0]:v['data_offsets'][1]])
                        for k, v in header.items() if k != '__metadata__'}
            a, b = load(sys.argv[1]), load(sys.argv[2])
            print(max(abs(x - y) for k in a for x, y in zip(a[k], b[k])) if a.keys() == b.keys() and a else 'different tensors')
            """
        for layer in ["layers/0.safetensors", "layers/1.safetensors", "shared.safetensors"] {
            #expect(
                try shell(
                    "tar xOf '\(path("cached.lgz"))' \(layer) > '\(path("cached.st"))' && tar xOf '\(path("live.lgz"))' \(layer) > '\(path("live.st"))'"
                ).status == 0)
            let difference = try runProcess("python3", ["-c", compare, path("cached.st"), path("live.st")])
            let largest = Double(difference.out.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(largest.map { $0 <= 1e-4 } == true, "\(layer): largest difference \(difference.summary)")
        }

        // --stop-after 0 without logits to write trains nothing, and says so.
        let nothing = try runLgreg(
            ["train", "sws", "--schedule", "2,1"] + common + ["--stop-after", "0", "-o", path("nothing.lgz")])
        #expect(nothing.status == 64 && nothing.err.contains("--write-teacher-logits alone"), "\(nothing.summary)")
    }

    @Test func trainWritesAnArchiveAndResumesToTheSameWeights() throws {
        let temporary = try TemporaryDirectory("lgreg-train-cli")
        let dir = temporary.url
        let whole = dir.appendingPathComponent("whole.lgz").path
        let run = try runLgreg(["train", "sws", "--schedule", "2,1"] + common + ["-o", whole])
        #expect(run.status == 0, "\(run.err)")
        let json = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as! [String: Any]
        #expect(json["kind"] as? String == "sws")
        let accuracy = try #require(json["evalAccuracy"] as? Double)

        // The manifest: valid, with provenance and the final accuracy.
        let manifest = try shell("tar xOf '\(whole)' manifest.json").out
        try validate("learngene-manifest", json: manifest)
        let object = try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as! [String: Any]
        let provenance = object["provenance"] as! [String: Any]
        #expect(
            provenance["epochs"] as? Int == 2 && provenance["seed"] as? Int == 5
                && provenance["trained"] as? Bool == true)
        // Evaluated on 64 test images only, so nothing is declared that `verify` (which uses all 10,000) could not back.
        #expect((object["results"] as! [[String: Any]]).isEmpty)
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect((object["layers"] as! [Any]).count == 2)

        // Every metrics line is valid; there is one per epoch.
        let lines = try String(contentsOfFile: whole + ".train/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines { try validate("training-metrics", json: String(line)) }

        // Interrupted after epoch 1, then resumed: the same layer bytes as the uninterrupted run.
        let split = dir.appendingPathComponent("split.lgz").path
        let first = try runLgreg(["train", "sws", "--schedule", "2,1"] + common + ["-o", split, "--stop-after", "1"])
        #expect(first.status == 0, "\(first.err)")
        #expect(!FileManager.default.fileExists(atPath: split))
        let second = try runLgreg(["train", "sws", "--schedule", "2,1"] + common + ["-o", split, "--resume"])
        #expect(second.status == 0, "\(second.err)")
        for entry in ["shared.safetensors", "layers/0.safetensors", "layers/1.safetensors"] {
            #expect(
                try shell("tar xOf '\(whole)' \(entry) | sha256sum").out
                    == shell("tar xOf '\(split)' \(entry) | sha256sum").out, "\(entry)")
        }
        #expect(
            try String(contentsOfFile: split + ".train/metrics.jsonl", encoding: .utf8).split(separator: "\n").count
                == 2)

        // Resuming with other options is refused with the field named.
        let mismatch = try runLgreg(
            ["train", "sws", "--schedule", "2,1"] + common.map { $0 == "5" ? "6" : $0 } + ["-o", split, "--resume"])
        #expect(mismatch.status != 0)
        #expect(mismatch.err.contains("seed"))
    }

    @Test func trainedAccuracyIsDeclaredAndVerifyReproducesIt() throws {
        let temporary = try TemporaryDirectory("lgreg-train-cli")
        let dir = temporary.url
        let archive = dir.appendingPathComponent("aux.lgz").path
        let run = try runLgreg([
            "train", "sws", "--schedule", "2,1", "--arch", "fmnist-tiny", "--epochs", "1", "--batch", "32",
            "--train-limit", "64", "--seed", "3", "--json", "-o", archive,
        ])
        #expect(run.status == 0, "\(run.err)")
        let accuracy = try #require(
            (try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])?["evalAccuracy"] as? Double)
        let manifest =
            try JSONSerialization.jsonObject(with: Data(try shell("tar xOf '\(archive)' manifest.json").out.utf8))
            as! [String: Any]
        let results = manifest["results"] as! [[String: Any]]
        #expect(results.count == 1)
        #expect(results.first?["strategy"] as? String == "aux-net")
        #expect(results.first?["depth"] as? Int == 3)
        #expect(results.first?["top1"] as? Double == accuracy)
        let store = dir.appendingPathComponent("store").path
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        // verify rebuilds the Aux-Net from its schedule (layers 0,0,1) and measures the same figure on all 10,000 images.
        let verify = try runLgreg(["verify", "--all", "--store", store, "--json"])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        #expect(verify.out.contains("aux-net"))
    }

    @Test func finetuneStartsFromTheTrainedWeights() throws {
        let temporary = try TemporaryDirectory("lgreg-train-cli")
        let dir = temporary.url
        let plain = dir.appendingPathComponent("plain.lgz").path
        let run = try runLgreg(["train", "plain", "--depth", "2"] + common + ["-o", plain])
        #expect(run.status == 0, "\(run.err)")
        let trained = try #require(
            (try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as! [String: Any])["evalAccuracy"] as? Double)
        // Assemble the Des-Net file (blocks.i.* from layers/i) from the (zstd) archive with the safetensors package.
        let model = dir.appendingPathComponent("des.safetensors").path
        #expect(try shell("mkdir '\(dir.path)/x' && tar xf '\(plain)' -C '\(dir.path)/x'").status == 0)
        let script = """
            import sys
            from safetensors.numpy import load_file, save_file
            out = dict(load_file(sys.argv[1] + '/shared.safetensors'))
            for i in range(2): out.update({f'blocks.{i}.' + k: v for k, v in load_file(sys.argv[1] + f'/layers/{i}.safetensors').items()})
            save_file(out, sys.argv[2])
            """
        let scriptFile = dir.appendingPathComponent("assemble.py")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let assemble = try shell("python3 '\(scriptFile.path)' '\(dir.path)/x' '\(model)'")
        #expect(assemble.status == 0, "\(assemble.out)")

        let output = dir.appendingPathComponent("tuned.safetensors").path
        let tune = try runLgreg([
            "finetune", model, "--arch", "fmnist-tiny", "--epochs", "1", "--batch", "32", "--train-limit", "64",
            "--eval-limit", "64", "--lr", "1e-4", "--json", "-o", output,
        ])
        #expect(tune.status == 0, "\(tune.err)")
        let json = try JSONSerialization.jsonObject(with: Data(tune.out.utf8)) as! [String: Any]
        // The untuned Des-Net is the trained model: the same accuracy on the same images.
        #expect(json["untunedAccuracy"] as? Double == trained)
        #expect(json["depth"] as? Int == 2)
        let config = try shell(
            "python3 -c \"from safetensors import safe_open; print(safe_open('\(output)', 'np').metadata()['lgreg.training-config'])\""
        )
        try validate("training-config", json: config.out)
    }

    @Test func badOptionsAreUsageErrors() throws {
        let noTeacher = try runLgreg(["train", "sws", "--alpha", "0.5", "--epochs", "1", "-o", "/tmp/x.lgz"])
        #expect(noTeacher.status == 64)
        #expect(noTeacher.err.contains("needs a teacher"))
        let schedule = try runLgreg(["train", "sws", "--schedule", "3,x", "-o", "/tmp/x.lgz"])
        #expect(schedule.status == 64)
        let resume = try runLgreg([
            "train", "plain", "--epochs", "1", "--train-limit", "8", "--resume", "-o",
            "/tmp/lgreg-missing-\(UUID().uuidString).lgz",
        ])
        #expect(resume.status == 64)
        #expect(resume.err.contains("no checkpoint"))
    }
}
