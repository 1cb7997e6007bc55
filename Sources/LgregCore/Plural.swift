/// Counts in messages: "1 epoch", "3 epochs".
public enum Plural {
    /// `count` and `noun`, with an `s` unless the count is one (nouns with a regular plural only).
    public static func count(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}
