/// Text made safe to place in HTML or XML: the one escaping function behind the static site's pages
/// (`LgregSite.HTML`) and `verify --junit`'s XML (`JUnitReport`).
public enum MarkupText {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe between tags and inside a
    /// double- or single-quoted attribute value. With `xml`, also what XML 1.0 needs beyond that: tab, newline and
    /// carriage return as character references (attribute values keep them) and the characters XML 1.0 cannot
    /// hold at all (other control characters, U+FFFE, U+FFFF) as U+FFFD.
    public static func escape(_ text: String, xml: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case _ where xml && (scalar == "\t" || scalar == "\n" || scalar == "\r"): out += "&#\(scalar.value);"
            case _ where xml && (scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF):
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
