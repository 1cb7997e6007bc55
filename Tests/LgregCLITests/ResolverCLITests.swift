import Foundation
import LgregTestSupport
import Testing

/// `lgreg plan`, `lgreg materialize` and `lgreg report savings REF`, run as a user runs them against a store in
/// a temporary folder holding a small random SWS learngene (fmnist-tiny, schedule 3,3,4,3,3: 5 layers).
@Suite(.serialized) final class ResolverCLITests {
    let temporary: TemporaryDirectory
    let folder: URL
    let store: String

    init() throws {
        temporary = try TemporaryDirectory("lgreg-resolver-cli")
        folder = temporary.url
        store = folder.appendingPathComponent("store").path
        let archive = folder.appendingPathComponent("aux.lgz").path
        let made = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "aux", "-o", archive,
        ])
        #expect(made.status == 0, "\(made.err)")
        let published = try runLgreg(["publish", archive, "--store", store])
        #expect(published.status == 0, "\(published.err)")
    }

    func lgreg(_ arguments: [String]) throws -> ProcessOutput {
        try runLgreg(arguments + ["--store", store])
    }

    func blobCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256").count
    }

    @Test func planPrintsThePublishedMapsWithStageBoundaries() throws {
        let text = try lgreg(["plan", "aux", "--depth", "12"])
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("0 0 0|1 1 1|2 2|3 3|4 4"))
        let json = try lgreg(["plan", "aux", "--depths", "6-15", "--json"])
        #expect(json.status == 0, "\(json.err)")
        #expect(try validateJSON(json.out, against: "plan.schema.json").0 == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        let rows = object["rows"] as! [[String: Any]]
        #expect(rows.count == 10)
        #expect(rows[6]["layerMap"] as? [Int] == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4])
        #expect(rows[1]["layerMap"] as? [Int] == [0, 0, 1, 1, 2, 3, 4])
        let stages = rows[6]["stages"] as! [[String: Any]]
        #expect(stages.map { $0["first"] as! Int } == [0, 3, 6, 8, 10])
        let flm = try lgreg(["plan", "aux", "--depth", "7", "--order", "front-last-mid", "--csv"])
        #expect(flm.out.contains("7,0 0|1|2|3|4 4,"))
    }

    @Test func materializeRecordsWithoutCopyingALayer() throws {
        let before = try blobCount()
        let result = try lgreg(["materialize", "aux", "--depth", "14", "--json"])
        #expect(result.status == 0, "\(result.err)")
        #expect(try validateJSON(result.out, against: "materialize.schema.json").0 == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        #expect(object["tag"] as? String == "aux-d14:0.1.0-cyclic-front-mid-last")
        #expect(try blobCount() == before + 2, "only the Des-Net's config and manifest blobs are new")
        let shown = try lgreg(["show", "aux", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as? [String: Any])
        let materializations = try #require(
            (document["show"] as? [String: Any])?["materializations"] as? [[String: Any]])
        #expect(materializations.count == 1)
        #expect(materializations.first?["depth"] as? Int == 14)
        #expect(materializations.first?["strategy"] as? String == "cyclic")
        #expect(materializations.first?["desNetDigest"] as? String == object["desNetDigest"] as? String)
    }

    @Test func materializeExportsForTimm() throws {
        let out = folder.appendingPathComponent("des-7").path
        let result = try lgreg([
            "materialize", "aux", "--depth", "7", "--strategy", "random", "--seed", "42", "--head", "new", "--classes",
            "4",
            "--pooling", "avg", "--output", out,
        ])
        #expect(result.status == 0, "\(result.err)")
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        let (status, message) = try validateJSON(config, against: "timm-config.schema.json")
        #expect(status == 0, "\(message)")
        let object = try JSONSerialization.jsonObject(with: Data(config.utf8)) as! [String: Any]
        #expect(object["num_classes"] as? Int == 4)
        let args = object["model_args"] as! [String: Any]
        #expect(args["fc_norm"] as? Bool == true)
        #expect(args["depth"] as? Int == 7)
        let lineage = (object["lgreg"] as! [String: Any])["lineage"] as! [String: Any]
        #expect(lineage["seed"] as? Int == 42)
        #expect(lineage["strategy"] as? String == "random")
        // fmnist-tiny at depth 7 with a 4-class head: 7·(12·64² + 13·64) + (16·64 + 64) + 49·64 + 2·64 + 64·4 + 4.
        let parameters = 7 * (12 * 64 * 64 + 13 * 64) + (16 * 64 + 64) + 49 * 64 + 2 * 64 + 64 * 4 + 4
        #expect((object["lgreg"] as! [String: Any])["parameters"] as? Int == parameters)
        let size = try FileManager.default.attributesOfItem(atPath: out + "/model.safetensors")[.size] as! Int
        #expect(size > parameters * 4)
    }

    @Test func badRequestsExitWithAUsageError() throws {
        let shallow = try lgreg(["materialize", "aux", "--depth", "3"])
        #expect(shallow.status == 64)
        #expect(shallow.err.contains("--allow-drop-stages"))
        #expect(try lgreg(["plan", "aux", "--depth", "3", "--allow-drop-stages", "--csv"]).out.contains("3,0|1|2,"))
        let short = try lgreg(["materialize", "aux", "--depth", "6", "--layers-source", "0,0,1,2,3"])
        #expect(short.status == 64)
        #expect(short.err.contains("layer map has 5 entries but the depth is 6"))
        let missing = try lgreg(["plan", "aux", "--layers-source", "0,0,1,2,3,5"])
        #expect(missing.status == 64)
        #expect(missing.err.contains("names learngene layer 5"))
        let order = try lgreg(["plan", "aux", "--depth", "8", "--order", "0,1"])
        #expect(order.status == 64)
        #expect(order.err.contains("not a permutation"))
        let kind = try lgreg(["materialize", "aux", "--depth", "8", "--strategy", "tleg"])
        #expect(kind.status == 64)
        #expect(kind.err.contains("needs a tleg learngene"))
        let head = try lgreg(["materialize", "aux", "--depth", "8", "--classes", "4"])
        #expect(head.status == 64)
        #expect(head.err.contains("--head new"))
    }

    /// The REF form reads architecture and schedule from the store: the same report as the preset with the
    /// learngene's schedule, subject aside.
    @Test func savingsReportOfAStoredLearngene() throws {
        let stored = try lgreg(["report", "savings", "aux", "--depths", "6-15", "--json"])
        #expect(stored.status == 0, "\(stored.err)")
        #expect(try validateJSON(stored.out, against: "savings-report.schema.json").0 == 0)
        let preset = try runLgreg([
            "report", "savings", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--depths", "6-15", "--json",
        ])
        var a = try JSONSerialization.jsonObject(with: Data(stored.out.utf8)) as! [String: Any]
        var b = try JSONSerialization.jsonObject(with: Data(preset.out.utf8)) as! [String: Any]
        #expect(a.removeValue(forKey: "subject") as? String == "aux")
        b.removeValue(forKey: "subject")
        #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b))
        #expect(
            a["learngeneParameters"] as? Int == 5 * (12 * 64 * 64 + 13 * 64) + (16 * 64 + 64) + 49 * 64 + 2 * 64 + 64
                * 10 + 10)
    }
}
