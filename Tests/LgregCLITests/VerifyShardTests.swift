import Foundation
import LgregTestSupport
import Testing

/// `verify --all --shard K/N`, `--merge` and `--junit` on a real store: the shards split the checks of one run
/// exactly, and merged they give what one `verify --all` gives.
@Suite(.serialized) struct VerifyShardTests {
    /// A store of two learngenes (the `fmnist-shape` fixture packed twice under other names) declaring 13 results
    /// each on a 1,000-image eval set: 10 re-measured (depths 2-4 by simple-lg and by scratch with seeds 0 and 1,
    /// and depth 2 imwlm, 10.70% as timm measures it), one overclaim, one tuned (skipped) and one on an unknown
    /// data set (cannot-verify).
    static func makeStore() throws -> VerifyCommandTests.Setup {
        let setup = try VerifyCommandTests.Setup()
        var results: [[String: Any]] = [
            ["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": 0.107],
            ["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": 0.5],
            ["depth": 2, "strategy": "imwlm", "tunedEpochs": 3, "evalSet": setup.evalSet, "top1": 0.5],
            ["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": "cifar-10", "top1": 0.1],
        ]
        for depth in 2...4 {
            results.append([
                "depth": depth, "strategy": "simple-lg", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": 0.107,
            ])
            for seed in 0...1 {
                results.append([
                    "depth": depth, "strategy": "scratch", "seed": seed, "tunedEpochs": 0, "evalSet": setup.evalSet,
                    "top1": 0.1,
                ])
            }
        }
        for name in ["alpha", "beta"] { try setup.publish(name, results: results) }
        return setup
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The report with the fields that differ between runs of the same checks removed: the seconds each entry
    /// took and the evaluation work (sharing between results of different shards is lost).
    static func comparable(_ report: [String: Any]) -> NSDictionary {
        var report = report
        report["evaluation"] = nil
        report["learngenes"] = (report["learngenes"] as? [[String: Any]] ?? []).map { verdict in
            var verdict = verdict
            verdict["seconds"] = nil
            return verdict
        }
        return report as NSDictionary
    }

    @Test func threeShardsPartitionTheRunAndMergeIntoOneVerifyAll() throws {
        let setup = try Self.makeStore()
        let store = ["--store", setup.store]
        let full = try runLgreg(["verify", "--all", "--json"] + store)
        #expect(full.status == 1, "an overclaim: \(full.summary)")
        let whole = try Self.json(full.out)
        let wholeVerdicts = whole["learngenes"] as! [[String: Any]]
        let checkCount = wholeVerdicts.reduce(0) { $0 + ($1["checks"] as! [[String: Any]]).count }
        #expect(checkCount == 2 * (3 + 13))
        let measured = wholeVerdicts.flatMap { $0["checks"] as! [[String: Any]] }.filter { $0["measuredTop1"] != nil }
        #expect(measured.count == 2 * 11, "10 results and the overclaim re-measured per learngene")

        var files: [String] = []
        var shards: [[String: Any]] = []
        for k in 1...3 {
            let file = setup.folder.path("shard-\(k).json")
            let run = try runLgreg(
                ["verify", "--all", "--shard", "\(k)/3", "--json", "--junit", setup.folder.path("shard-\(k).xml")]
                    + store)
            #expect([0, 1, 2].contains(run.status), "\(run.summary)")
            let (valid, message) = try validateJSON(run.out, against: "verify-report.schema.json")
            #expect(valid == 0, "\(message)")
            try Data(run.out.utf8).write(to: URL(fileURLWithPath: file))
            files.append(file)
            shards.append(try Self.json(run.out))
        }
        // The partition: every check of the whole run is made by exactly one shard, and all three agree who.
        var owners: [String: Set<Int>] = [:]
        var measuredPerShard = [Int](repeating: 0, count: 3)
        for (k, shard) in shards.enumerated() {
            let summary = shard["shard"] as! [String: Any]
            #expect(summary["index"] as? Int == k + 1 && summary["count"] as? Int == 3)
            #expect(summary["units"] as? Int == checkCount)
            #expect(summary["run"] as? String == (shards[0]["shard"] as! [String: Any])["run"] as? String)
            let verdicts = shard["learngenes"] as! [[String: Any]]
            #expect(verdicts.map { $0["reference"] as! String } == wholeVerdicts.map { $0["reference"] as! String })
            for (i, verdict) in verdicts.enumerated() {
                let checks = verdict["checks"] as! [[String: Any]]
                #expect(checks.count == (wholeVerdicts[i]["checks"] as! [[String: Any]]).count)
                for (j, check) in checks.enumerated() {
                    let owner = check["shard"] as! Int
                    let wholeCheck = (wholeVerdicts[i]["checks"] as! [[String: Any]])[j]
                    #expect(check["check"] as? String == wholeCheck["check"] as? String)
                    if owner == k + 1 {
                        owners["\(i)/\(j)", default: []].insert(k + 1)
                        #expect(check["detail"] as? String == wholeCheck["detail"] as? String)
                        #expect(check["measuredTop1"] as? Double == wholeCheck["measuredTop1"] as? Double)
                        if check["measuredTop1"] != nil { measuredPerShard[k] += 1 }
                    } else {
                        #expect(check["status"] as? String == "skipped" && check["measuredTop1"] == nil)
                    }
                }
            }
            #expect(summary["owned"] as? Int == owners.values.filter { $0.contains(k + 1) }.count)
        }
        #expect(owners.count == checkCount && owners.values.allSatisfy { $0.count == 1 }, "\(owners)")
        // Balance: each shard re-measures about a third of the 22 results (dealt by depth, heaviest first).
        #expect(measuredPerShard.reduce(0, +) == 22)
        #expect(measuredPerShard.allSatisfy { (4...10).contains($0) }, "\(measuredPerShard)")

        // Merged: the report one --all prints, its exit status, and its text.
        let merged = try runLgreg(["verify", "--merge"] + files + ["--json", "--junit", setup.folder.path("all.xml")])
        #expect(merged.status == full.status, "\(merged.summary)")
        let (valid, message) = try validateJSON(merged.out, against: "verify-report.schema.json")
        #expect(valid == 0, "\(message)")
        #expect(Self.comparable(try Self.json(merged.out)) == Self.comparable(whole))
        // The same text but the throughput line: its seconds and the sgemm peak are measurements of each run.
        let withoutThroughput = { (out: String) in out.split(separator: "\n").filter { !$0.hasPrefix("throughput:") } }
        let text = try runLgreg(["verify", "--merge"] + files.reversed())
        let wholeText = try runLgreg(["verify", "--all"] + store)
        #expect(withoutThroughput(text.out) == withoutThroughput(wholeText.out), "\(text.summary)")
        #expect(text.out.contains("throughput:") && wholeText.out.contains("throughput:"))
        #expect(FileManager.default.fileExists(atPath: setup.folder.path("all.xml")))

        // With --depths: the results at other depths are skipped by whichever shard owns them.
        let depthFull = try runLgreg(["verify", "--all", "--depths", "2,5", "--json"] + store)
        var depthFiles: [String] = []
        for k in 1...2 {
            let run = try runLgreg(["verify", "--all", "--depths", "2,5", "--shard", "\(k)/2", "--json"] + store)
            depthFiles.append(setup.folder.path("depths-\(k).json"))
            try Data(run.out.utf8).write(to: URL(fileURLWithPath: depthFiles.last!))
        }
        let depthMerged = try runLgreg(["verify", "--merge"] + depthFiles + ["--json"])
        #expect(depthMerged.status == depthFull.status, "\(depthMerged.summary)")
        #expect(Self.comparable(try Self.json(depthMerged.out)) == Self.comparable(try Self.json(depthFull.out)))
        // Shards of runs with other settings do not merge.
        let mixed = try runLgreg(["verify", "--merge", files[0], files[1], depthFiles[1]])
        #expect(mixed.status == 3 && mixed.err.contains("different stores or settings"), "\(mixed.summary)")
    }

    /// The zoo (every `Registry/*.lgz` and the tuned Des-Nets of `Registry/tuned`) verified at the CI depths by a
    /// matrix of three shards: merged, the report `verify --all` gives, check for check. On the first 500 images of
    /// Fashion-MNIST's test set (a `--data-dir` of its own), so the declared figures do not hold; what is compared
    /// is the two reports.
    @Test func zooInThreeShardsMergesIntoOneVerifyAll() throws {
        let folder = try TemporaryDirectory("lgreg-zoo-shards")
        let store = ["--store", folder.path("store")]
        let registry = repositoryRoot.appendingPathComponent("Registry")
        for archive in try FileManager.default.contentsOfDirectory(atPath: registry.path)
        where archive.hasSuffix(".lgz") {
            #expect(try runLgreg(["publish", registry.appendingPathComponent(archive).path] + store).status == 0)
        }
        let pull = try runLgreg(["pull", "oci:" + registry.appendingPathComponent("tuned").path] + store)
        #expect(pull.status == 0, "\(pull.summary)")
        let data = folder.path("fashion-mnist-500")
        let subset = try runProcess(
            "python3",
            [
                "-c",
                """
                import gzip, os, sys
                source, out, n = '/usr/share/datasets/fashion-mnist', sys.argv[1], 500
                os.makedirs(out)
                for part in ('t10k', 'train'):
                    images = gzip.open(f'{source}/{part}-images-idx3-ubyte.gz').read()
                    labels = gzip.open(f'{source}/{part}-labels-idx1-ubyte.gz').read()
                    count = n.to_bytes(4, 'big')
                    gzip.open(f'{out}/{part}-images-idx3-ubyte.gz', 'wb').write(images[:4] + count + images[8:16] + images[16:16 + n * 784])
                    gzip.open(f'{out}/{part}-labels-idx1-ubyte.gz', 'wb').write(labels[:4] + count + labels[8:8 + n])
                """,
                data,
            ])
        try #require(subset.status == 0, "\(subset.summary)")
        let options = ["--depths", "6,12", "--data-dir", data, "--json"] + store
        let whole = try runLgreg(["verify", "--all"] + options, timeout: 1800)
        #expect([0, 1].contains(whole.status), "\(whole.summary)")
        var files: [String] = []
        for k in 1...3 {
            let shard = try runLgreg(["verify", "--all", "--shard", "\(k)/3"] + options, timeout: 1800)
            #expect([0, 1].contains(shard.status), "\(shard.summary)")
            files.append(folder.path("shard-\(k).json"))
            try Data(shard.out.utf8).write(to: URL(fileURLWithPath: files.last!))
        }
        let merged = try runLgreg(["verify", "--merge"] + files + ["--json"])
        #expect(merged.status == whole.status, "\(merged.summary)")
        let report = try Self.json(whole.out)
        #expect(Self.comparable(try Self.json(merged.out)) == Self.comparable(report))
        let measured = (report["learngenes"] as? [[String: Any]] ?? []).flatMap {
            $0["checks"] as? [[String: Any]] ?? []
        }
        .filter { $0["measuredTop1"] != nil }
        #expect(measured.count >= 20, "the CI depths' results, each measured once across the shards")
    }

    /// A shard missing or given twice, shards of different stores, and files that are not shard reports.
    @Test func mergeRefusesIncompleteForeignAndBrokenReports() throws {
        let setup = try VerifyCommandTests.Setup()
        let good: [[String: Any]] = [
            ["depth": 2, "strategy": "imwlm", "tunedEpochs": 0, "evalSet": setup.evalSet, "top1": 0.107]
        ]
        try setup.publish("alpha", results: good)
        var files: [String] = []
        for k in 1...2 {
            let run = try runLgreg(["verify", "--all", "--shard", "\(k)/2", "--json", "--store", setup.store])
            #expect(run.status == 0, "\(run.summary)")
            files.append(setup.folder.path("s\(k).json"))
            try Data(run.out.utf8).write(to: URL(fileURLWithPath: files.last!))
        }
        let merged = try runLgreg(["verify", "--merge"] + files)
        #expect(merged.status == 0 && merged.out.contains("alpha:1"), "\(merged.summary)")

        let missing = try runLgreg(["verify", "--merge", files[0]])
        #expect(missing.status == 3 && missing.err.contains("missing the report of shard 2/2"), "\(missing.summary)")
        let twice = try runLgreg(["verify", "--merge", files[0], files[1], files[1]])
        #expect(twice.status == 3 && twice.err.contains("shard 2/2 is given twice"), "\(twice.summary)")
        // Another store (one learngene more): another run.
        try setup.publish("beta", results: good)
        let other = try runLgreg(["verify", "--all", "--shard", "2/2", "--json", "--store", setup.store])
        let otherFile = setup.folder.path("other.json")
        try Data(other.out.utf8).write(to: URL(fileURLWithPath: otherFile))
        let foreign = try runLgreg(["verify", "--merge", files[0], otherFile])
        #expect(foreign.status == 3 && foreign.err.contains("different stores or settings"), "\(foreign.summary)")

        // Files that are not shard reports: named with the field, exit 65; one that cannot be read, 74.
        let report = try String(contentsOfFile: files[0], encoding: .utf8)
        let broken: [(name: String, text: String, named: String)] = [
            ("truncated.json", String(report.prefix(40)), "truncated.json"),
            (
                "version.json", report.replacingOccurrences(of: "\"schemaVersion\" : 2", with: "\"schemaVersion\" : 9"),
                "field 'schemaVersion' is 9; this lgreg reads version 2 only"
            ),
            (
                "whole.json", try runLgreg(["verify", "--all", "--json", "--store", setup.store]).out,
                "field 'shard' is missing"
            ),
            (
                "status.json", report.replacingOccurrences(of: "\"status\" : \"ok\"", with: "\"status\" : \"fine\""),
                "status.json: field '"
            ),
        ]
        for (name, text, named) in broken {
            let file = setup.folder.path(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let result = try runLgreg(["verify", "--merge", file, files[1]])
            #expect(result.status == 65 && result.err.contains(named), "\(name): \(result.summary)")
        }
        let unreadable = try runLgreg(["verify", "--merge", setup.folder.path("none.json"), files[1]])
        #expect(unreadable.status == 74 && unreadable.err.contains("none.json"), "\(unreadable.summary)")
    }

    /// Bad --shard values and option mixes exit 64 naming the option.
    @Test func badShardOptionsExit64() throws {
        let setup = try VerifyCommandTests.Setup()
        let cases: [(arguments: [String], named: String)] = [
            (["--all", "--shard", "0/3"], "--shard takes K/N with 1 ≤ K ≤ N (e.g. 2/4), got '0/3'"),
            (["--all", "--shard", "4/3"], "got '4/3'"),
            (["--all", "--shard", "1/0"], "got '1/0'"),
            (["--all", "--shard", "two"], "got 'two'"),
            (["--all", "--shard", "1/2/3"], "got '1/2/3'"),
            (["good", "--shard", "1/2"], "--shard splits --all"),
            (["--all", "--merge", "a.json"], "--merge reads the shards' reports only"),
        ]
        for (arguments, named) in cases {
            let result = try runLgreg(["verify"] + arguments + ["--store", setup.store])
            #expect(result.status == 64 && result.err.contains(named), "\(arguments): \(result.summary)")
        }
    }
}
