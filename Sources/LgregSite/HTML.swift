import Foundation
import LgregCore
import LgregReports

/// The one place text becomes HTML: every name, description, card field and figure a page shows goes through
/// `escape`, in element text and in attribute values alike, so content from a published archive stays text.
public enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references: safe between tags and inside a
    /// quoted attribute value.
    public static func escape(_ text: String) -> String {
        MarkupText.escape(text, xml: false)
    }

    /// A report table as an HTML table (numbers right-aligned, each with its exact value in `data-value`), its
    /// footer as notes under it.
    static func table(_ table: ReportTable, id: String? = nil) -> String {
        var out = [
            "<div class=\"table-wrap\"><table" + (id.map { " id=\"\(escape($0))\"" } ?? "") + ">",
            "<thead><tr>"
                + table.columns.indices.map { column in
                    let numeric = table.rows.contains {
                        switch $0[column] {
                        case .int, .double: return true
                        case .text, .empty: return false
                        }
                    }
                    return
                        "<th scope=\"col\"\(numeric ? " class=\"num\"" : "")>\(escape(table.columns[column].title))</th>"
                }.joined() + "</tr></thead>",
            "<tbody>",
        ]
        for row in table.rows {
            out.append("<tr>" + row.map(cell).joined() + "</tr>")
        }
        out.append("</tbody></table></div>")
        out += table.footer.map { "<p class=\"note\">\(escape($0))</p>" }
        return out.joined(separator: "\n")
    }

    /// One table cell: a number right-aligned with its exact value, text as it is.
    static func cell(_ cell: ReportTable.Cell) -> String {
        switch cell {
        case .int(let value, let shown): return "<td class=\"num\" data-value=\"\(value)\">\(escape(shown))</td>"
        case .double(let value, let shown): return "<td class=\"num\" data-value=\"\(value)\">\(escape(shown))</td>"
        case .text(let text): return "<td>\(escape(text))</td>"
        case .empty: return "<td></td>"
        }
    }

    /// A definition list of `label: value` facts.
    static func facts(_ facts: [(String, String)]) -> String {
        "<dl class=\"facts\">\n"
            + facts.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined(separator: "\n") + "\n</dl>"
    }

    /// A link to another page of the site, or the text alone when `file` is nil (an entry the site does not hold).
    static func link(_ text: String, to file: String?) -> String {
        guard let file else { return escape(text) }
        return "<a href=\"\(escape(file))\">\(escape(text))</a>"
    }

    /// `content` folded under `summary` when it is long (more than `rows` rows), shown as it is otherwise.
    static func folded(_ content: String, summary: String, rows: Int, over limit: Int = 16) -> String {
        rows > limit ? "<details><summary>\(escape(summary))</summary>\n\(content)\n</details>" : content
    }

    /// Commands to copy, one a line.
    static func commands(_ lines: [String]) -> String {
        "<pre class=\"commands\"><code>" + lines.map(escape).joined(separator: "\n") + "</code></pre>"
    }
}
