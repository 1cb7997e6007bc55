import Foundation
import LgregCore

/// The JSON file that describes an architecture and, optionally, a stage schedule
/// (`Schemas/architecture.schema.json`). Readers refuse a `schemaVersion` they do not know.
public struct ArchitectureFile: Codable, Equatable, Sendable {
    /// The version of this file format that this build reads and writes.
    public static let currentVersion = 1

    /// Format version; must equal `currentVersion`.
    public var schemaVersion: Int
    /// The ViT description.
    public var architecture: ViTArchitecture
    /// Depth of the model the file describes, if it describes one.
    public var depth: Int?
    /// Stage schedule of an Aux-Net, if the file describes one; its layer counts sum to `depth`.
    public var schedule: StageSchedule?

    public init(architecture: ViTArchitecture, depth: Int? = nil, schedule: StageSchedule? = nil) {
        self.schemaVersion = Self.currentVersion
        self.architecture = architecture
        self.depth = depth
        self.schedule = schedule
    }

    /// Decodes and validates a file, naming `path` in every error.
    public static func read(from url: URL) throws -> ArchitectureFile {
        let data: Data
        do { data = try RegularFile.contents(of: url, limit: 1 << 20) } catch let error as FileSystemError {
            throw ArchitectureFileError(path: url.path, field: nil, reason: "cannot be read: \(error.reason)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates JSON bytes; `path` only labels errors.
    public static func decode(_ data: Data, path: String) throws -> ArchitectureFile {
        struct Version: Decodable { var schemaVersion: Int? }
        guard let version = try? JSONDecoder().decode(Version.self, from: data) else {
            throw ArchitectureFileError(path: path, field: nil, reason: "is not a JSON object")
        }
        guard let found = version.schemaVersion else {
            throw ArchitectureFileError(path: path, field: "schemaVersion", reason: "is missing")
        }
        guard found == currentVersion else {
            throw ArchitectureFileError(
                path: path, field: "schemaVersion",
                reason: "is \(found); this lgreg reads version \(currentVersion) only")
        }
        let file: ArchitectureFile
        do { file = try StrictJSONDecoder().decode(ArchitectureFile.self, from: data) } catch let error as DecodingError
        {
            throw ArchitectureFileError(decoding: error, path: path)
        }
        do {
            try file.architecture.validate()
            if let depth = file.depth { try ArchitectureLimits.checkDepth(depth) }
            if let schedule = file.schedule {
                try schedule.validate(depth: file.depth ?? schedule.depth)
            }
        } catch let error as ArchitectureError {
            throw ArchitectureFileError(path: path, field: nil, reason: error.description)
        }
        return file
    }

    /// Pretty-printed JSON with sorted keys, as lgreg writes it.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// A JSON file lgreg reads is missing a field, has a wrong type or an invalid value.
public struct ArchitectureFileError: Error, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The JSON path of the offending field (`architecture.width`), when one is to blame.
    public var field: String?
    /// What is wrong.
    public var reason: String

    public init(path: String, field: String?, reason: String) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    /// Turns Foundation's decoding error into one naming the field.
    public init(decoding error: DecodingError, path: String) {
        func name(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: path, field: name(context.codingPath + [key]), reason: "is missing")
        case .typeMismatch(let type, let context):
            self.init(path: path, field: name(context.codingPath), reason: "should be of type \(type)")
        case .valueNotFound(let type, let context):
            self.init(path: path, field: name(context.codingPath), reason: "is null; expected \(type)")
        case .dataCorrupted(let context):
            self.init(
                path: path, field: context.codingPath.isEmpty ? nil : name(context.codingPath),
                reason: context.debugDescription)
        @unknown default:
            self.init(path: path, field: nil, reason: "\(error)")
        }
    }

    public var description: String {
        if let field { return "\(path): field '\(field)' \(reason)" }
        return "\(path): \(reason)"
    }
}
