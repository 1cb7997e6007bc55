import Foundation
import LgregCore

/// lgreg's JSON encoding for OCI documents: sorted keys, so the same document has the same digest.
enum OCIJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do { return try StrictJSONDecoder().decode(type, from: data) } catch {
            throw StoreError.corruptLayout(file: file, reason: "does not decode as \(type): \(error)")
        }
    }
}
