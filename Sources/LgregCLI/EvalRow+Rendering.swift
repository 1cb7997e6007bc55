import Foundation
import LgregReports
import LgregZoo

extension EvalRow {
    /// The rows as a table, or for JSON as an `eval-report.schema.json` document (version 2). Top-1 is a fraction
    /// in JSON and CSV, as in manifests, and percent where a person reads it (text, Markdown).
    static func render(_ rows: [EvalRow], model: String, data: String, format: ReportTable.Format) throws -> String {
        let table = ReportTable(
            columns: [.init("depth", "Depth"), .init("layerMap", "Layer map"), .init("images", "Images"),
                      .init("correct", "Correct"), .init("top1", "Top-1 %"), .init("meanLoss", "Loss"),
                      .init("imagesPerSecond", "Images/s")],
            rows: rows.map { row in
                [.int(row.depth, shown: String(row.depth)), .text(row.layerMap.map(String.init).joined(separator: ",")),
                 .int(row.result.images, shown: String(row.result.images)),
                 .int(row.result.correct, shown: String(row.result.correct)),
                 .double(row.result.top1.fraction, shown: String(format: "%.2f", row.result.top1.percent)),
                 .double(row.result.meanLoss, shown: String(format: "%.4f", row.result.meanLoss)),
                 .double(row.result.imagesPerSecond, shown: String(format: "%.0f", row.result.imagesPerSecond))]
            },
            footer: ["model: \(model)", "data: \(data)"])
        guard format == .json else { return table.rendered(format) }
        let document: [String: Any] = ["schemaVersion": 2, "model": model, "data": data, "rows": table.jsonObjects()]
        let bytes = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: bytes, as: UTF8.self) + "\n"
    }
}
