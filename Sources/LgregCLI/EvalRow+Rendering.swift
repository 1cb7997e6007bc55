import Foundation
import LgregReports
import LgregVocabulary
import LgregZoo

extension EvalRow {
    /// The rows as a table, or for JSON as an `eval-report.schema.json` document (version 2). Top-1 is a fraction
    /// in JSON and CSV, as in manifests, and percent where a person reads it (text, Markdown).
    static func render(_ rows: [EvalRow], model: String, data: String, format: ReportTable.Format) throws -> String {
        let table = ReportTable(
            columns: [
                .init("depth", "Depth"), .init("layerMap", "Layer map"), .init("images", "Images"),
                .init("correct", "Correct"), .init("top1", "Top-1 %"), .init("meanLoss", "Loss"),
                .init("imagesPerSecond", "Images/s"),
            ],
            rows: rows.map { row in
                [
                    .int(row.depth, shown: String(row.depth)),
                    .text(row.layerMap.map(String.init).joined(separator: ",")),
                    .int(row.result.images, shown: String(row.result.images)),
                    .int(row.result.correct, shown: String(row.result.correct)),
                    .double(row.result.top1.fraction, shown: String(format: "%.2f", row.result.top1.percent)),
                    .double(row.result.meanLoss, shown: String(format: "%.4f", row.result.meanLoss)),
                    .double(row.result.imagesPerSecond, shown: String(format: "%.0f", row.result.imagesPerSecond)),
                ]
            },
            footer: ["model: \(model)", "data: \(data)"])
        guard format == .json else { return table.rendered(format) }
        return String(
            decoding: try encodedJSON(EvalReport(model: model, data: data, rows: rows.map(EvalReport.Row.init))),
            as: UTF8.self) + "\n"
    }
}

/// What `eval --json` prints (`Schemas/eval-report.schema.json`, version 2: top-1 a fraction).
struct EvalReport: Encodable {
    /// One evaluated network.
    struct Row: Encodable {
        var depth: Int
        /// The learngene layer each block runs, as a comma list (empty for a model file run block by block).
        var layerMap: String
        var images: Int
        var correct: Int
        var top1: Top1
        var meanLoss: Double
        var imagesPerSecond: Double

        init(_ row: EvalRow) {
            depth = row.depth
            layerMap = row.layerMap.map(String.init).joined(separator: ",")
            images = row.result.images
            correct = row.result.correct
            top1 = row.result.top1
            meanLoss = row.result.meanLoss
            imagesPerSecond = row.result.imagesPerSecond
        }
    }

    var schemaVersion = 2
    var model: String
    var data: String
    var rows: [Row]
}
