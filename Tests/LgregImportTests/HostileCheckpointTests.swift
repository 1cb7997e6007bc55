import Foundation
import LgregTestSupport
import Testing

@testable import LgregImport

/// One hostile checkpoint each (written opcode by opcode by `Python/make_import_fixtures.py`), refused with its
/// exact error, nothing executed (the payloads would create `marker`) and nothing written.
///
/// Memory stays bounded by construction, before any data is read: the reader holds at most the checkpoint's size
/// (the entries may not declare more bytes together than the file has, as torch stores them uncompressed), of
/// which `data.pkl` is at most 64 MiB, and the unpickler at most 100,000 stack values, 1,000,000 memo entries and
/// containers nested 100 deep (`ImportLimits`). The 1 GiB `data.pkl` below is refused from its declared size.
@Suite(.serialized) struct HostileCheckpointTests {
    static let marker = "/tmp/lgreg-import-hostile-marker"

    static func path(_ name: String) -> String { ImportFixtures.path(name) }

    static let cases: [(String, ImportError)] = [
        (
            "hostile-os-system.pth",
            .forbiddenGlobal(path: path("hostile-os-system.pth"), offset: 2, module: "os", name: "system")
        ),
        (
            "hostile-builtins-eval.pth",
            .forbiddenGlobal(path: path("hostile-builtins-eval.pth"), offset: 2, module: "builtins", name: "eval")
        ),
        (
            "hostile-offset-past-data.pth",
            .invalidTensor(
                path: path("hostile-offset-past-data.pth"), tensor: "data/0",
                reason: "storage offset 1000 lies past the storage's 4 elements")
        ),
        (
            "hostile-numel-past-storage.pth",
            .invalidTensor(
                path: path("hostile-numel-past-storage.pth"), tensor: "data/0",
                reason: "100 elements of size [100], stride [1] from offset 0 reach element 99, past the storage's 4")
        ),
        (
            "hostile-memo-nothing.pth",
            .malformedPickle(
                path: path("hostile-memo-nothing.pth"), offset: 2, reason: "memo reference 5 refers to nothing")
        ),
        (
            "hostile-nested-lists.pth",
            .pickleLimit(
                path: path("hostile-nested-lists.pth"), offset: 100_101, what: "nesting of lists, tuples and dicts",
                limit: 100)
        ),
        (
            "hostile-pickle-1gb.pth",
            .entryTooLarge(
                path: path("hostile-pickle-1gb.pth"), entry: "archive/data.pkl", size: 1 << 30,
                limit: fileSize("hostile-pickle-1gb.pth"))
        ),
        ("hostile-dotdot.pth", .unsafeEntry(path: path("hostile-dotdot.pth"), entry: "archive/../../escaped.txt")),
        ("legacy.pth", .legacyFormat(path: path("legacy.pth"))),
    ]

    static func fileSize(_ name: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path(name)))?[.size] as? Int) ?? -1
    }

    @Test(arguments: cases.map(\.0))
    func refusedWithItsError(name: String) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let expected = Self.cases.first { $0.0 == name }!.1
        let directory = try TemporaryDirectory()
        let output = directory.appending("out.lgz")
        #expect(throws: expected) {
            try CheckpointImport.run(
                .init(
                    path: Self.path(name), layout: .timm, options: ImportFixtures.options, name: "hostile",
                    output: output, toolVersion: "lgreg test"))
        }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "nothing was executed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty, "nothing was written")
    }

    /// A zip cut in half has no central directory: refused by libarchive before any entry is read.
    @Test func truncatedZipIsRefused() throws {
        let directory = try TemporaryDirectory()
        do {
            try CheckpointImport.run(
                .init(
                    path: Self.path("hostile-truncated.pth"), layout: .timm, name: "hostile",
                    output: directory.appending("out.lgz"), toolVersion: "lgreg test"))
            Issue.record("a truncated zip was accepted")
        } catch let ImportError.unreadableZip(path, _) {
            #expect(path == Self.path("hostile-truncated.pth"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    /// A deflated storage that expands past the whole file (torch never compresses) is refused from its declared
    /// size, before anything is inflated.
    @Test func compressedStoragePastTheFileIsRefused() throws {
        let name = "hostile-deflate-bomb.pth"
        do {
            _ = try Checkpoint.open(path: Self.path(name))
            Issue.record("a 10 MiB storage in a \(Self.fileSize(name))-byte file was accepted")
        } catch let ImportError.entryTooLarge(path, entry, size, limit) {
            #expect(path == Self.path(name) && entry == "archive/data/0" && size == 10 << 20)
            #expect(limit < Self.fileSize(name))
        }
    }

    /// The legacy message says how to re-save the file.
    @Test func legacyMessageSaysHowToResave() {
        #expect(ImportError.legacyFormat(path: "old.pth").description.contains("torch.save(torch.load("))
    }

    /// The same checkpoints through the `lgreg` binary: exit 65, a message naming the file, no archive, no marker.
    @Test(arguments: cases.map(\.0) + ["hostile-truncated.pth", "hostile-deflate-bomb.pth"])
    func commandRefuses(name: String) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let directory = try TemporaryDirectory()
        let result = try runLgreg([
            "import", Self.path(name), "--layout", "timm", "--heads", "2", "-o", directory.path("out.lgz"),
        ])
        #expect(result.status == 65, "\(result.summary)")
        #expect(result.err.contains(name), "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: Self.marker))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }
}
