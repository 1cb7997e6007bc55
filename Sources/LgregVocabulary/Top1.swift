import Foundation

/// A top-1 accuracy: the fraction of images classified right, in [0, 1]. Every format and type holds the
/// fraction; percent appears only when it is rendered (`percentText`).
public struct Top1: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// In [0, 1].
    public var fraction: Double

    public init(fraction: Double) { self.fraction = fraction }

    /// `correct` of `images` (0 for none).
    public init(correct: Int, of images: Int) { fraction = images == 0 ? 0 : Double(correct) / Double(images) }

    /// In percent, for tables and messages.
    public var percent: Double { 100 * fraction }

    /// `86.73%`.
    public var percentText: String { String(format: "%.2f%%", percent) }

    public var description: String { percentText }

    /// Whether `other` is within `points` percentage points (a tolerance as users give it), with room for the
    /// rounding of a fraction written in JSON.
    public func agrees(with other: Top1, withinPoints points: Double) -> Bool {
        abs(fraction - other.fraction) <= points / 100 + 1e-11
    }

    public static func < (a: Top1, b: Top1) -> Bool { a.fraction < b.fraction }

    public init(from decoder: Decoder) throws { fraction = try decoder.singleValueContainer().decode(Double.self) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fraction)
    }
}
