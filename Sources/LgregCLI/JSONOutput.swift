import Foundation
import LgregReports

/// What every store and archive command prints with `--json` (`Schemas/store-output.schema.json`): the
/// format version, which report it is, and the report under a key of its name.
struct JSONReport<Body: Encodable>: Encodable {
    var schemaVersion = 1
    var report: String
    var body: Body

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schemaVersion, forKey: Key("schemaVersion"))
        try container.encode(report, forKey: Key("report"))
        try container.encode(body, forKey: Key(report))
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Prints `body` as report `report` (`{"schemaVersion": 1, "report": "gc", "gc": {…}}`).
func printReport<T: Encodable>(_ report: String, _ body: T) throws {
    try printJSON(JSONReport(report: report, body: body))
}

/// Pretty JSON with sorted keys, as every `--json` prints it.
func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try encodedJSON(value), as: UTF8.self))
}

/// The bytes `printJSON` prints, without the final newline.
func encodedJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

/// Human byte counts: 141.2 MB.
func formatBytes(_ bytes: Int) -> String { ByteCount.text(bytes) }
