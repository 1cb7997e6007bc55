import Foundation
import LgregArchitecture
import Testing

@testable import LgregReports

@Suite struct SavingsReportTests {
    let report: SavingsReport

    init() throws {
        report = SavingsReport(
            subject: "deit-base", architecture: try .preset("deit-base"),
            schedule: try StageSchedule([3, 3, 4, 3, 3]), depths: Array(6...15))
    }

    @Test func storageFiguresOfTable2() {
        #expect(report.learngeneParameters == 36_951_016)
        #expect(report.learngeneParametersPrinted == 37.0)
        #expect(report.totalParameters == 759_343_120)
        #expect(report.totalParametersPrinted == 759.3)
        // Exact counts divided; the paper's 20.5× divides its printed figures (759.3 / 37.0), which agrees here.
        #expect(abs(report.storageRatio - 759_343_120.0 / 36_951_016.0) <= 1e-12, "storageRatio \(report.storageRatio)")
        #expect(String(format: "%.1f", report.storageRatio) == "20.5")
        #expect(report.paperStorageRatio == 20.5)
        #expect(
            report.rows.map { PaperRounding.millions($0.parameters) } == [
                44.0, 51.1, 58.2, 65.3, 72.4, 79.5, 86.6, 93.7, 100.7, 107.8,
            ])
    }

    @Test func trainingCostFiguresOfSection4() {
        #expect(report.pretrainingRatio == 10)  // 10×100 vs 1×100
        #expect(report.totalTrainingRatio == 6.6)  // 10×100 vs 100 + 10×5
        #expect(report.tlegRatio == 2.5)  // 100 + 10×40 vs 100 + 10×10
    }

    @Test func tableFormats() throws {
        let table = report.table
        let csv = table.rendered(.csv).split(separator: "\n")
        #expect(csv.first == "depth,parameters,flops")
        #expect(csv[1] == "6,44038888,8803795968")
        let markdown = table.rendered(.markdown)
        #expect(markdown.contains("| 15 | 107.8 | 21.8 G |"))
        let json = try JSONSerialization.jsonObject(with: Data(table.rendered(.json).utf8)) as! [[String: Any]]
        #expect(json.count == 10)
        #expect(json[0]["parameters"] as? Int == 44_038_888)
        #expect(table.rendered(.text).contains("759.3 M"))
    }

    @Test func jsonRoundTrips() throws {
        let decoded = try JSONDecoder().decode(SavingsReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}
