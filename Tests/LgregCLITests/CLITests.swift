import Foundation
import LgregTestSupport
import Testing

@Suite struct CLITests {
    @Test func archShowPrintsTable1() throws {
        let result = try runLgreg(["arch", "show", "deit-base", "--depths", "6-15", "--csv"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 11)
        #expect(lines[1] == "6,44038888,8803795968")
        let text = try runLgreg(["arch", "show", "deit-base", "--depths", "12"])
        #expect(text.out.contains("86.6"))
        #expect(text.out.contains("17.5"))
    }

    @Test func archShowWith100ClassesPrintsTable2() throws {
        let result = try runLgreg(["arch", "show", "deit-base", "--depths", "6-15", "--classes", "100", "--markdown"])
        #expect(result.status == 0)
        for cell in ["43.4", "50.4", "57.5", "64.6", "71.7", "78.8", "85.9", "93.0", "100.1", "107.1"] {
            #expect(result.out.contains("| \(cell) |"), "Table 2 cell \(cell)")
        }
    }

    @Test func savingsReport() throws {
        let result = try runLgreg([
            "report", "savings", "deit-base", "--schedule", "3,3,4,3,3", "--depths", "6-15", "--json",
        ])
        #expect(result.status == 0, "\(result.err)")
        let json = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        #expect(json["totalParametersPrinted"] as? Double == 759.3)
        #expect(json["learngeneParameters"] as? Int == 36_951_016)
        let ratio = try #require(json["storageRatio"] as? Double)
        #expect(abs(ratio - 759_343_120.0 / 36_951_016.0) <= 1e-9, "storageRatio \(ratio): exact counts divided")
        #expect(json["paperStorageRatio"] as? Double == 20.5)
    }

    @Test func badInputExitsWithAUsageError() throws {
        let unknown = try runLgreg(["arch", "show", "deit-huge"])
        #expect(unknown.status == 64)
        #expect(unknown.err.contains("'deit-huge' is neither a preset"))
        let depths = try runLgreg(["arch", "show", "deit-base", "--depths", "9-6"])
        #expect(depths.status == 64)
        #expect(depths.err.contains("depth range '9-6'"))
        let schedule = try runLgreg(["report", "savings", "deit-base", "--schedule", "3,0,4"])
        #expect(schedule.status == 64)
        #expect(schedule.err.contains("stage 1 has 0 layers"))
    }

    @Test func versionAndHelp() throws {
        #expect(try runLgreg(["--version"]).out == "0.1.0\n")
        let help = try runLgreg(["--help"])
        #expect(help.out.contains("arch"))
        #expect(help.out.contains("report"))
    }
}

/// Every JSON document the CLI writes validates against its schema in `Schemas/` (checked by Python's
/// `jsonschema`, an outside validator).
@Suite struct SchemaTests {

    @Test func architectureExportMatchesItsSchema() throws {
        let export = try runLgreg(["arch", "export", "fmnist-small", "--schedule", "3,3,4,3,3"])
        #expect(export.status == 0, "\(export.err)")
        let (status, message) = try validateJSON(export.out, against: "architecture.schema.json")
        #expect(status == 0, "\(message)")
        // And the validator does reject a broken document.
        let broken = export.out.replacingOccurrences(of: "\"avg-norm-first\"", with: "\"max\"")
        #expect(try validateJSON(broken, against: "architecture.schema.json").0 == 1)
    }

    @Test func savingsReportMatchesItsSchema() throws {
        let report = try runLgreg(["report", "savings", "deit-small", "--depths", "6-15", "--json"])
        let (status, message) = try validateJSON(report.out, against: "savings-report.schema.json")
        #expect(status == 0, "\(message)")
    }

    @Test func exportedArchitectureIsAcceptedBack() throws {
        let export = try runLgreg(["arch", "export", "deit-base"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arch-\(UUID()).json")
        try Data(export.out.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let shown = try runLgreg(["arch", "show", path.path, "--depths", "12", "--csv"])
        #expect(shown.out.split(separator: "\n").last == "12,86566120,17490465792")
    }
}
