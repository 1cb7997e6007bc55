import Foundation

/// Byte counts as people read them, in powers of 1000: 141.2 MB.
public enum ByteCount {
    /// `bytes` in the largest unit that keeps the figure at least 1, with one decimal (bytes as they are).
    public static func text(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
