import Foundation
import LgregCore
import LgregTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct StrictJSONTests {
    struct Document: Decodable, Equatable {
        struct Inner: Decodable, Equatable { var width: Int }
        var name: String
        var layers: [Inner]
    }

    /// Issue 10 case 15: Foundation keeps the first of two "name" keys, Python the last; lgreg refuses both
    /// readings, naming the key and where it is.
    @Test func duplicateKeysAreRefusedWithTheirPath() throws {
        let top = Data(#"{"name": "good", "layers": [], "name": "evil"}"#.utf8)
        #expect(try JSONDecoder().decode(Document.self, from: top).name == "good")
        #expect(throws: DecodingError.self) { try StrictJSONDecoder().decode(Document.self, from: top) }
        let nested = Data(#"{"name": "x", "layers": [{"width": 1}, {"width": 2, "width": 3}]}"#.utf8)
        do {
            _ = try StrictJSONDecoder().decode(Document.self, from: nested)
            Issue.record("accepted a duplicate key")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(
                context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue } == [
                    "layers", "[1]", "width",
                ])
            #expect(context.debugDescription == "appears twice in one object; lgreg refuses duplicate keys")
        }
        #expect(
            try StrictJSONDecoder().decode(
                Document.self, from: Data(#"{"name": "x", "layers": [{"width": 1}, {"width": 2}]}"#.utf8))
                == Document(name: "x", layers: [.init(width: 1), .init(width: 2)]))
    }

    /// Issue 10 case 7: opening a FIFO for reading blocks until a writer comes; RegularFile refuses it at once.
    @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedWithoutBlocking() throws {
        let folder = try TemporaryDirectory("lgreg-core")
        let fifo = folder.appending("archive.lgz")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        #expect(throws: FileSystemError(path: fifo.path, reason: "is a FIFO, not a regular file", kind: .refused)) {
            try RegularFile.contents(of: fifo, limit: 1 << 20)
        }
        #expect(
            throws: FileSystemError(path: folder.url.path, reason: "is a folder, not a regular file", kind: .refused)
        ) {
            try RegularFile(path: folder.url.path)
        }
        try Data("12345".utf8).write(to: folder.appending("small"))
        #expect(try RegularFile.contents(of: folder.appending("small"), limit: 5) == Data("12345".utf8))
        #expect(throws: FileSystemError(path: folder.path("small"), reason: "is 5 bytes; at most 4 are read")) {
            try RegularFile.contents(of: folder.appending("small"), limit: 4)
        }
    }

    @Test func hostileNamesAreCut() {
        #expect(Quoted.name("short") == "short")
        let long = String(repeating: "a", count: 100_000)
        #expect(Quoted.name(long) == String(repeating: "a", count: 200) + "…")
        #expect(Quoted.name("a\nb\u{1b}") == "a\\u{a}b\\u{1b}")
    }
}
