import Foundation
import LgregTestSupport
import Testing

/// The promises every command keeps: each `--json` output carries `schemaVersion` and validates against its
/// schema in `Schemas/`; each bad input exits 64 naming the value.
@Suite struct CommandContractTests {
    /// The command paths whose options include `--json`, from the command tree ArgumentParser describes.
    static func commandsTakingJSON() throws -> Set<String> {
        let dump = try runLgreg(["--experimental-dump-help"])
        let tree = try JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as! [String: Any]
        var found: Set<String> = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let names = (command["arguments"] as? [[String: Any]] ?? []).flatMap {
                $0["names"] as? [[String: Any]] ?? []
            }.compactMap { $0["name"] as? String }
            if names.contains("json") { found.insert(path.joined(separator: " ")) }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + [sub["commandName"] as! String])
            }
        }
        walk(tree["command"] as! [String: Any], [])
        return found
    }

    /// Runs every command that takes `--json` on a small store and validates each output against its schema.
    @Test func everyJSONOutputHasASchemaAndAVersion() throws {
        let folder = try TemporaryDirectory("lgreg-json")
        let store = folder.path("store")
        let archive = folder.path("tiny.lgz")
        let export = folder.path("des-6")
        let made = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--seed", "0", "--name", "tiny",
            "-o", archive,
        ])
        try #require(made.status == 0, "\(made.summary)")
        let s = ["--store", store]
        let recipe = folder.path("recipe.json")
        try Data(#"{"optimizer": "adamw", "lr": 0.0001}"#.utf8).write(to: URL(fileURLWithPath: recipe))
        let train = ["--epochs", "1", "--train-limit", "32", "--eval-limit", "32", "--batch", "16"]
        // In order: later runs use what earlier ones wrote.
        let runs: [(command: String, arguments: [String], schema: String)] = [
            ("arch list", ["arch", "list"], "arch-list.schema.json"),
            ("arch show", ["arch", "show", "fmnist-tiny", "--depths", "6-15"], "arch-show.schema.json"),
            ("report savings", ["report", "savings", "deit-base", "--depths", "6-15"], "savings-report.schema.json"),
            ("inspect", ["inspect", archive], "store-output.schema.json"),
            ("publish", ["publish", archive] + s, "store-output.schema.json"),
            ("use", ["use", "tiny"] + s, "use.schema.json"),
            ("plan", ["plan", "--depths", "6-8"] + s, "plan.schema.json"),
            (
                "materialize", ["materialize", "--depth", "6", "--tag", "tiny-d6:1", "--output", export] + s,
                "materialize.schema.json"
            ),
            (
                "record",
                ["record", export + "/model.safetensors", "--base", "tiny-d6:1", "--recipe", recipe, "--tag", "t:1"]
                    + s, "record-result.schema.json"
            ),
            ("list", ["list", "--all", "--size"] + s, "store-output.schema.json"),
            ("show", ["show", "tiny-d6:1"] + s, "store-output.schema.json"),
            ("show", ["show", "tiny"] + s, "store-output.schema.json"),
            ("show", ["show", "tiny", "--lineage"] + s, "store-output.schema.json"),
            ("du", ["du"] + s, "store-output.schema.json"),
            ("eval", ["eval", "tiny", "--depths", "6-7", "--limit", "20"] + s, "eval-report.schema.json"),
            ("eval", ["eval", "tiny-d6:1", "--limit", "20"] + s, "eval-report.schema.json"),
            ("verify", ["verify", "tiny"] + s, "verify-report.schema.json"),
            ("verify", ["verify", "tiny-d6:1"] + s, "verify-report.schema.json"),
            ("verify", ["verify", "--all", "--shard", "2/2"] + s, "verify-report.schema.json"),
            ("gc", ["gc", "--dry-run"] + s, "store-output.schema.json"),
            ("fsck", ["fsck"] + s, "store-output.schema.json"),
            ("report accuracy", ["report", "accuracy"] + s, "accuracy-report.schema.json"),
            ("site", ["site", "-o", folder.path("site")] + s, "site.schema.json"),
            (
                "train", ["train", "plain", "--depth", "1"] + train + ["-o", folder.path("plain.lgz")],
                "train-result.schema.json"
            ),
            (
                "train",
                [
                    "train", "plain", "--depth", "1", "--epochs", "2", "--train-limit", "32", "--eval-limit", "32",
                    "--batch", "16",
                    "--stop-after", "1", "-o", folder.path("stopped.lgz"),
                ], "train-result.schema.json"
            ),
            (
                "finetune",
                ["finetune", export + "/model.safetensors", "--arch", export] + train + [
                    "-o", folder.path("tuned.safetensors"),
                ], "train-result.schema.json"
            ),
        ]
        for run in runs {
            let result = try runLgreg(run.arguments + ["--json"], directory: folder.url)
            try #require(result.status == 0, "\(run.arguments.joined(separator: " ")): \(result.summary)")
            let (status, message) = try validateJSON(result.out, against: run.schema)
            #expect(status == 0, "\(run.arguments.joined(separator: " ")) against \(run.schema): \(message)")
            let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]
            #expect(object?["schemaVersion"] is Int, "\(run.arguments.joined(separator: " ")) has no schemaVersion")
        }
        // The shards of one run merge into a report of the same schema.
        var shardFiles: [String] = []
        for k in 1...2 {
            let shard = try runLgreg(["verify", "--all", "--shard", "\(k)/2", "--json"] + s)
            shardFiles.append(folder.path("shard-\(k).json"))
            try Data(shard.out.utf8).write(to: URL(fileURLWithPath: shardFiles.last!))
        }
        let merged = try runLgreg(["verify", "--merge"] + shardFiles + ["--json"])
        #expect(merged.status == 0, "\(merged.summary)")
        let (mergedValid, mergedMessage) = try validateJSON(merged.out, against: "verify-report.schema.json")
        #expect(mergedValid == 0, "verify --merge against verify-report.schema.json: \(mergedMessage)")
        // push and pull need a registry: LgregRemoteTests validate their output against remote-output.schema.json.
        #expect(
            Set(runs.map(\.command)).union(["push", "pull"]) == (try Self.commandsTakingJSON()),
            "every command that takes --json is run here")
        // The Des-Net's OCI manifest passes its own schema.
        let shown =
            try JSONSerialization.jsonObject(with: Data(try runLgreg(["show", "tiny-d6:1", "--json"] + s).out.utf8))
            as! [String: Any]
        let digest = ((shown["show"] as! [String: Any])["digest"] as! String).dropFirst(7)
        let manifest = try String(contentsOfFile: store + "/blobs/sha256/" + digest, encoding: .utf8)
        let (status, message) = try validateJSON(manifest, against: "oci-desnet-manifest.schema.json")
        #expect(status == 0, "\(message)")
    }

    /// Each bad input exits 64 and names what was wrong.
    @Test func badInputExits64NamingTheValue() throws {
        let folder = try TemporaryDirectory("lgreg-usage")
        let store = folder.path("store")
        let archive = folder.path("tiny.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "tiny", "-o",
                archive,
            ]).status == 0)
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        #expect(
            try runLgreg(["materialize", "tiny", "--depth", "6", "--output", folder.path("des-6"), "--store", store])
                .status == 0)
        let template = folder.path("template.json")
        try #"{"schemaVersion": 1, "name": "x", "version": "1", "description": "d", "license": "MIT", "kind": "bogus"}"#
            .write(toFile: template, atomically: true, encoding: .utf8)
        let cases: [(arguments: [String], named: String)] = [
            (["materialize", "tiny", "--dept", "12", "--store", store], "unknown option '--dept'"),
            (["verify", "--store", store], "Give a learngene reference to verify, or --all"),
            (["verify", "--all", "--shard", "3/2", "--store", store], "--shard takes K/N with 1 ≤ K ≤ N"),
            (["verify", "tiny", "--shard", "1/2", "--store", store], "--shard splits --all"),
            (
                ["eval", folder.path("des-6/model.safetensors"), "--arch", "deit-base", "--limit", "10"],
                "the architecture needs [768, 3, 16, 16]"
            ),
            (["eval", "tiny", "--depth", "6", "--data", "mnist:test", "--store", store], "'mnist:test'"),
            (
                ["pack", folder.path("des-6/model.safetensors"), "--manifest", template, "-o", folder.path("x.lgz")],
                "bogus"
            ),
            (["list", "--kind", "desnets", "--store", store], "'desnets'"),
            (["show", "no-such-thing", "--store", store], "'no-such-thing'"),
            (
                ["export", "tiny-d7:1-cyclic-front-mid-last", "-o", folder.path("x"), "--store", store],
                "'tiny-d7:1-cyclic-front-mid-last'"
            ),
            (["rm", "tiny", "--with-derived", "--force", "--store", store], "--with-derived or --force"),
            (["arch", "show", "fmnist-tiny", "--depths", "6-x"], "'6-x'"),
        ]
        for (arguments, named) in cases {
            let result = try runLgreg(arguments)
            #expect(result.status == 64, "\(arguments.joined(separator: " ")): \(result.summary)")
            #expect(
                result.err.contains(named), "\(arguments.joined(separator: " ")) should name \(named): \(result.err)")
        }
    }

    /// A model file that cannot be opened is an I/O error (74), as an unreadable archive or checkpoint is.
    @Test func unreadableModelFileIsAnIOError() throws {
        let folder = try TemporaryDirectory("lgreg-io")
        for arguments in [
            ["eval", folder.path("none.safetensors"), "--arch", "fmnist-tiny"],
            ["finetune", folder.path("none.safetensors"), "-o", folder.path("x.safetensors")],
        ] {
            let result = try runLgreg(arguments)
            #expect(
                result.status == 74 && result.err.contains("none.safetensors") && result.err.contains("No such file"),
                "\(arguments): \(result.summary)")
        }
    }

    /// Small models' FLOPs print in M, not as "0.0 G"; the paper's in G.
    @Test func flopsPrintInAnAdaptiveUnit() throws {
        let tiny = try runLgreg(["arch", "show", "fmnist-tiny", "--depths", "12"])
        #expect(
            tiny.status == 0 && !tiny.out.contains("0.0 G")
                && tiny.out.range(of: #"[0-9]+\.[0-9] M"#, options: .regularExpression) != nil, "\(tiny.out)")
        let base = try runLgreg(["arch", "show", "deit-base", "--depths", "12"])
        #expect(base.out.contains("17.5 G"), "\(base.out)")
    }
}
