import Foundation

/// The store's own settings, kept in `.lgreg/config.json` (`Schemas/store-config.schema.json`): today the
/// current learngene that commands use when none is named (`lgreg use`).
public struct StoreConfiguration: Codable, Equatable, Sendable {
    /// The format version this lgreg writes; a file of another version is refused.
    public static let schemaVersion = 1

    public var schemaVersion = StoreConfiguration.schemaVersion
    /// A learngene reference as the user gave it (`aux-b` follows its latest version, `aux-b:1` is pinned).
    public var currentLearngene: String?

    public init(currentLearngene: String? = nil) { self.currentLearngene = currentLearngene }
}

extension StoreLayout {
    /// `.lgreg/config.json`.
    public var configuration: URL { privateDirectory.appendingPathComponent("config.json") }
}

extension LearngeneStore {
    /// The store's settings; defaults when `.lgreg/config.json` does not exist.
    /// - Throws: `StoreError.corruptLayout` for a file that does not decode or has another schema version.
    public func configuration() throws -> StoreConfiguration {
        guard let data = FileManager.default.contents(atPath: layout.configuration.path) else {
            return StoreConfiguration()
        }
        let decoded = try OCIJSON.decode(StoreConfiguration.self, from: data, file: layout.configuration.path)
        guard decoded.schemaVersion == StoreConfiguration.schemaVersion else {
            throw StoreError.corruptLayout(
                file: layout.configuration.path,
                reason:
                    "schemaVersion \(decoded.schemaVersion) is not one this lgreg reads (\(StoreConfiguration.schemaVersion))"
            )
        }
        return decoded
    }

    /// Edits the settings under the index lock and writes them atomically.
    public func updateConfiguration(_ change: (inout StoreConfiguration) throws -> Void) throws {
        guard mode != .read else { throw StoreError.openedForReading(root: layout.root.path) }
        let lock = try FileLock(layout.indexLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var settings = try configuration()
        try change(&settings)
        try layout.writeFileAtomically(try OCIJSON.encode(settings), to: layout.configuration)
    }
}
