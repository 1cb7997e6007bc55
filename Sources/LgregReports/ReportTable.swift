import Foundation
import LgregArchitecture

/// A table every reporting command prints, in the format the user asks for.
///
/// Cells keep both a machine value (for JSON and CSV) and the text a person reads (for the terminal and
/// Markdown), so `--json` never carries rounded figures and the terminal never shows 17 digits.
public struct ReportTable: Sendable {
    /// One column: a JSON key and a heading.
    public struct Column: Sendable {
        public var key: String
        public var title: String
        /// Text padded on the right rather than the left (a name, a sentence); a last such column is not padded.
        public var leftAligned: Bool
        public init(_ key: String, _ title: String, leftAligned: Bool = false) {
            self.key = key
            self.title = title
            self.leftAligned = leftAligned
        }
    }

    /// One cell: an exact value and its printed form.
    public enum Cell: Sendable, Equatable {
        case int(Int, shown: String)
        case double(Double, shown: String)
        case text(String)
        case empty

        public var shown: String {
            switch self {
            case .int(_, let shown), .double(_, let shown): return shown
            case .text(let text): return text
            case .empty: return ""
            }
        }

        var jsonValue: Any {
            switch self {
            case .int(let value, _): return value
            case .double(let value, _): return value
            case .text(let text): return text
            case .empty: return NSNull()
            }
        }

        var csvValue: String {
            switch self {
            case .int(let value, _): return String(value)
            case .double(let value, _): return String(value)
            case .text(let text):
                return text.contains(",") || text.contains("\"")
                    ? "\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\"" : text
            case .empty: return ""
            }
        }
    }

    public var columns: [Column]
    public var rows: [[Cell]]
    /// Lines printed under the table on a terminal and in Markdown (totals, ratios, notes).
    public var footer: [String]

    public init(columns: [Column], rows: [[Cell]] = [], footer: [String] = []) {
        self.columns = columns
        self.rows = rows
        self.footer = footer
    }

    /// Output formats of every reporting command.
    public enum Format: String, CaseIterable, Sendable {
        case text, json, csv, markdown
    }

    /// The table in `format`; JSON is an array of objects keyed by column.
    public func rendered(_ format: Format) -> String {
        switch format {
        case .text: return text()
        case .markdown: return markdown()
        case .csv:
            let lines =
                [columns.map(\.key).joined(separator: ",")] + rows.map { $0.map(\.csvValue).joined(separator: ",") }
            return lines.joined(separator: "\n") + "\n"
        case .json:
            let objects = jsonObjects()
            let data = try! JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    /// Rows as dictionaries keyed by column, for embedding in a larger JSON document.
    public func jsonObjects() -> [[String: Any]] {
        rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(columns, row).map { ($0.key, $1.jsonValue) })
        }
    }

    private func text() -> String {
        let widths = columns.indices.map { index in
            ([columns[index].title] + rows.map { $0[index].shown }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, zip(widths, columns)).enumerated().map { index, element in
                let (cell, (width, column)) = element
                let padding = String(repeating: " ", count: width - cell.count)
                guard column.leftAligned else { return padding + cell }
                return index == columns.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }
        var lines = [line(columns.map(\.title))]
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map { line($0.map(\.shown)) }
        lines += footer
        return lines.joined(separator: "\n") + "\n"
    }

    private func markdown() -> String {
        var lines = ["| " + columns.map(\.title).joined(separator: " | ") + " |"]
        lines.append("|" + columns.map { _ in "---:" }.joined(separator: "|") + "|")
        lines += rows.map { "| " + $0.map(\.shown).joined(separator: " | ") + " |" }
        if !footer.isEmpty {
            lines.append("")
            lines += footer
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ReportTable.Cell {
    /// A count printed in millions as the paper prints parameters (`PaperRounding.millions`).
    public static func millions(_ value: Int) -> Self {
        .int(value, shown: String(format: "%.1f", PaperRounding.millions(value)))
    }
    /// Multiply-accumulates printed with one decimal in the largest unit that keeps the figure at least 1: G
    /// as the paper prints them (17,490,465,792 → "17.5 G"), M or k for small models (4,196,352 → "4.2 M").
    public static func flops(_ value: Int) -> Self {
        let unit = [(1e9, "G"), (1e6, "M"), (1e3, "k")].first { Double(value) >= $0.0 } ?? (1, "")
        return .int(
            value,
            shown: String(
                format: "%.1f%@", PaperRounding.oneDecimal(value, unit: unit.0), unit.1.isEmpty ? "" : " " + unit.1))
    }
}
