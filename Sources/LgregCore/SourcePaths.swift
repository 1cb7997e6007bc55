import Foundation

/// Source-file locations that libraries put into their error descriptions (BoringSSL's `at
/// /…/.build/checkouts/swift-nio-ssl/…/tls_record.cc:231`, Swift's `#file`): the build machine's paths, which no
/// message lgreg prints may carry.
public enum SourcePaths {
    /// An absolute path ending in a source file's extension, with an optional `:line[:column]` and a leading `at `.
    static let pattern = try! NSRegularExpression(
        pattern: #"(?:\s+at)?\s*/[^\s\])'"]*\.(?:swift|cc|cpp|c|h|m|mm)(?::\d+)*"#)

    /// `text` with every source location taken out.
    public static func removed(from text: String) -> String {
        pattern.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
    }
}
