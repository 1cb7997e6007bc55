import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is released.
///
/// ```swift
/// let folder = try TemporaryDirectory("lgreg-store")
/// let store = folder.url.appendingPathComponent("store")
/// ```
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder, created empty.
    public let url: URL

    /// Creates `<tmp>/<prefix>-<uuid>`.
    public init(_ prefix: String = "lgreg-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// `url/name`.
    public func appending(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The path of `url/name`.
    public func path(_ name: String) -> String { appending(name).path }
}
