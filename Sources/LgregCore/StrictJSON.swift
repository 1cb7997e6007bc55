import Foundation

/// A JSON value parsed without losing what a plain decoder hides: duplicate keys are an error, object
/// members keep their order, and numbers keep their literal text so 64-bit offsets stay exact.
public enum StrictJSON: Equatable {
    case object([(key: String, value: StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: StrictJSON, rhs: StrictJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// Why parsing stopped, and where.
    public enum Failure: Error, Equatable {
        /// Not JSON: what was expected at byte `offset`.
        case syntax(offset: Int, reason: String)
        /// An object holds `key` twice; `path` leads to that object (`["architecture"]`, `["layers", "[2]"]`).
        case duplicateKey(String, path: [String])
    }

    /// Parses one JSON value that fills `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> StrictJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("trailing characters after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// Keys and `[i]` indices leading to the value being parsed.
        var path: [String] = []
        static let maxDepth = 64

        func fail(_ reason: String) -> Failure { .syntax(offset: index, reason: reason) }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw fail("expected '\(literal)'") }
                index += 1
            }
        }

        mutating func value(depth: Int) throws -> StrictJSON {
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character")
            }
        }

        mutating func object(depth: Int) throws -> StrictJSON {
            index += 1
            var members: [(key: String, value: StrictJSON)] = []
            var seen: Set<String> = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw fail("expected a string key")
                }
                let key = try string()
                guard seen.insert(key).inserted else { throw Failure.duplicateKey(key, path: path) }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                path.append(key)
                members.append((key, try value(depth: depth + 1)))
                path.removeLast()
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws -> StrictJSON {
            index += 1
            var elements: [StrictJSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                path.append("[\(elements.count)]")
                elements.append(try value(depth: depth + 1))
                path.removeLast()
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func number() throws -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = { (p: inout Parser) -> Int in
                let s = p.index
                while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) {
                    p.index += 1
                }
                return p.index - s
            }
            guard digits(&self) > 0 else { throw fail("malformed number") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw fail("malformed number") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw fail("malformed number") }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        mutating func string() throws -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ p: Parser, _ upTo: Int) {
                scalars.append(
                    contentsOf: String(
                        decoding: UnsafeRawBufferPointer(rebasing: p.bytes[runStart..<upTo]), as: UTF8.self
                    ).unicodeScalars)
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flush(self, index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("control character in string") }
                if byte == UInt8(ascii: "\\") {
                    flush(self, index)
                    index += 1
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code) {
                            try expect("\\u")
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                        scalars.append(scalar)
                    default: throw fail("invalid escape")
                    }
                    runStart = index
                    continue
                }
                index += 1
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("bad hex digit in \\u escape")
                }
                code = code * 16 + digit
                index += 1
            }
            return code
        }
    }
}

/// A `JSONDecoder` that first refuses what Foundation's decoder silently accepts: an object with a key twice
/// (Foundation keeps the first value, Python's `json` and most readers the last, so the two would read one
/// file as two different documents). Every JSON file lgreg reads goes through it.
///
/// A duplicate is reported as `DecodingError.dataCorrupted` whose coding path ends at the repeated key, so
/// callers that name the field of a decoding error name it (`field 'name' appears twice`).
public struct StrictJSONDecoder {
    public init() {}

    /// Decodes `type` from `data` after checking it has no duplicate keys.
    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let parsed: Result<StrictJSON, Error> = data.withUnsafeBytes { bytes in Result { try StrictJSON.parse(bytes) } }
        if case .failure(StrictJSON.Failure.duplicateKey(let key, let path)) = parsed {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: (path + [key]).map(JSONKey.init),
                    debugDescription: "appears twice in one object; lgreg refuses duplicate keys"))
        }
        return try JSONDecoder().decode(type, from: data)
    }

    /// One step of a coding path: an object key, or `[i]` for an array element.
    struct JSONKey: CodingKey {
        var stringValue: String
        var intValue: Int?

        init(_ step: String) {
            if step.hasPrefix("["), step.hasSuffix("]"), let index = Int(step.dropFirst().dropLast()) {
                stringValue = "Index \(index)"
                intValue = index
            } else {
                stringValue = step
                intValue = nil
            }
        }

        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { self.init("[\(intValue)]") }
    }
}
