import Foundation
import LgregTestSupport
import Testing

/// Every kind of stored entry is a model every command takes: a learngene, a recorded Des-Net, a fine-tuned
/// Des-Net (from the learngene, and from the recorded Des-Net) and one trained from scratch, each shown, exported,
/// evaluated, verified, tagged, removed, listed and copied to a layout folder.
@Suite(.serialized) struct EntryKindTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "not a JSON object: \(text.prefix(300))")
    }

    @Test func eachKindIsAModelEveryCommandTakes() throws {
        let folder = try TemporaryDirectory("lgreg-entry-kinds")
        let store = folder.path("store")
        let archive = folder.path("aux.lgz")
        let small = ["--batch", "32", "--train-limit", "64", "--eval-limit", "64", "--json"]
        #expect(
            try runLgreg([
                "train", "sws", "--schedule", "2,1", "--arch", "fmnist-tiny", "--epochs", "1", "--batch", "32",
                "--train-limit", "64", "--seed", "3", "-o", archive,
            ]).status == 0)
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        let materialized = try runLgreg(["materialize", "aux", "--depth", "3", "--store", store, "--json"])
        #expect(materialized.status == 0, "\(materialized.summary)")
        let desNet = try #require(try json(materialized.out)["tag"] as? String)
        let tuned = try runLgreg(
            ["finetune", "aux", "--depth", "3", "--epochs", "1", "--store", store, "--work-dir", folder.path("w1")]
                + small)
        #expect(tuned.status == 0, "\(tuned.summary)")
        let scratch = try runLgreg(
            [
                "finetune", "--scratch", "--arch", "fmnist-tiny", "--depth", "2", "--epochs", "1", "--store", store,
                "--work-dir", folder.path("w2"),
            ] + small)
        #expect(scratch.status == 0, "\(scratch.summary)")
        // A recorded Des-Net tunes as recorded, and its tuned entry names it as where it started.
        let fromDesNet = try runLgreg(
            ["finetune", desNet, "--epochs", "1", "--seed", "2", "--store", store, "--work-dir", folder.path("w3")]
                + small)
        #expect(fromDesNet.status == 0, "\(fromDesNet.summary)")
        let fromDesNetTag = try #require(try json(fromDesNet.out)["tag"] as? String)
        let desNetDigest = try #require(try json(materialized.out)["desNetDigest"] as? String)
        let started =
            ((try json(try runLgreg(["show", fromDesNetTag, "--store", store, "--json"]).out)["show"] as? [String: Any])?[
                "tuned"]
            as? [String: Any])?["lineage"] as? [String: Any]
        #expect(started?["untunedDesNetDigest"] as? String == desNetDigest, "\(started ?? [:])")
        let tunedResult = try json(tuned.out)
        let scratchResult = try json(scratch.out)
        let tunedTag = try #require(tunedResult["tag"] as? String)
        let scratchTag = try #require(scratchResult["tag"] as? String)
        let recorded = [
            tunedTag: try #require(tunedResult["tunedTop1"] as? Double),
            scratchTag: try #require(scratchResult["tunedTop1"] as? Double),
            fromDesNetTag: try #require(try json(fromDesNet.out)["tunedTop1"] as? Double),
        ]
        let kinds = [
            "aux:1": "learngene", desNet: "desnet", tunedTag: "tuned", scratchTag: "tuned", fromDesNetTag: "tuned",
        ]

        for (reference, kind) in kinds {
            let shown = try runLgreg(["show", reference, "--store", store, "--json"])
            #expect(shown.status == 0, "show \(reference): \(shown.summary)")
            #expect(
                (try json(shown.out)["show"] as? [String: Any])?["entry"] as? String == kind,
                "show \(reference): \(shown.out.prefix(300))")

            let output = folder.path(
                "export-\(reference.replacingOccurrences(of: ":", with: "_"))" + (kind == "learngene" ? ".lgz" : ""))
            let exported = try runLgreg(["export", reference, "-o", output, "--store", store])
            #expect(exported.status == 0, "export \(reference): \(exported.summary)")
            if kind != "learngene" {
                let config = try json(
                    String(decoding: try Data(contentsOf: URL(fileURLWithPath: output + "/config.json")), as: UTF8.self)
                )
                let section = try #require(config["lgreg"] as? [String: Any])
                let card = try String(contentsOfFile: output + "/README.md", encoding: .utf8)
                if let top1 = recorded[reference] {
                    // The export carries the entry's record: config.json's lgreg.tuned and the card's recorded top-1.
                    let result = (section["tuned"] as? [String: Any])?["result"] as? [String: Any]
                    #expect(result?["top1"] as? Double == top1, "\(section)")
                    #expect(
                        card.contains(String(format: "| Recorded top-1 | %.2f%% on fashion-mnist:test", 100 * top1)),
                        "\(card.prefix(600))")
                    // The folder runs as a model with its own config.json, to the same top-1 on 64 images as the
                    // stored entry gives.
                    let fromFolder = try runLgreg(["eval", output, "--limit", "64", "--json"])
                    let fromStore = try runLgreg(["eval", reference, "--store", store, "--limit", "64", "--json"])
                    #expect(
                        fromFolder.status == 0 && fromStore.status == 0, "\(fromFolder.summary) \(fromStore.summary)")
                    let rows = try [fromFolder, fromStore].map {
                        try #require(try json($0.out)["rows"] as? [[String: Any]]).first?["correct"] as? Int
                    }
                    #expect(rows[0] != nil && rows[0] == rows[1], "\(rows)")
                } else {
                    #expect(section["tuned"] == nil && card.contains("untuned"))
                }
                #expect(
                    try validateJSON(
                        String(
                            decoding: try Data(contentsOf: URL(fileURLWithPath: output + "/config.json")), as: UTF8.self
                        ),
                        against: "timm-config.schema.json"
                    ).status == 0)
            }

            let verified = try runLgreg(["verify", reference, "--store", store, "--json"])
            #expect(verified.status == 0, "verify \(reference): \(verified.summary)")
            #expect(try runLgreg(["tag", reference, "copy:\(kind)", "--store", store]).status == 0)
            #expect(try runLgreg(["rm", "copy:\(kind)", "--store", store]).out == "removed copy:\(kind)\n")
            let pushed = try runLgreg(["push", reference, "oci:\(folder.path("layout"))", "--store", store])
            #expect(pushed.status == 0, "push \(reference): \(pushed.summary)")
        }

        // eval of a tuned entry on the whole test set prints the top-1 it recorded, to the image.
        let evaluated = try runLgreg(["eval", tunedTag, "--store", store, "--json"])
        #expect(evaluated.status == 0, "\(evaluated.summary)")
        #expect(
            (try json(evaluated.out)["rows"] as? [[String: Any]])?.first?["top1"] as? Double == recorded[tunedTag],
            "\(evaluated.out)")
        let options = try runLgreg(["eval", tunedTag, "--depth", "3", "--store", store])
        #expect(
            options.status == 64 && options.err.contains("is a tuned Des-Net: it has its depth"), "\(options.summary)")

        // verify --all lists every entry it checked, every kind.
        let all = try runLgreg(["verify", "--all", "--store", store, "--json"])
        #expect(all.status == 0, "\(all.summary)")
        let checked = Set(
            (try json(all.out)["learngenes"] as? [[String: Any]] ?? []).compactMap { $0["reference"] as? String })
        #expect(checked == Set(kinds.keys), "\(checked)")
        let listed = Set(
            (try json(try runLgreg(["list", "--all", "--store", store, "--json"]).out)["list"] as? [[String: Any]] ?? [])
                .compactMap { $0["reference"] as? String })
        #expect(listed.isSuperset(of: kinds.keys), "\(listed)")

        // The layout folder holds all four, and a new store takes them back.
        let pulled = try runLgreg(["pull", "oci:\(folder.path("layout"))", "--store", folder.path("copy")])
        #expect(pulled.status == 0, "\(pulled.summary)")
        #expect(try runLgreg(["verify", "--all", "--store", folder.path("copy")]).status == 0)
    }
}
