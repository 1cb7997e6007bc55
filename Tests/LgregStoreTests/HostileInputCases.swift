import Foundation
import LgregArchive
import LgregCore
import LgregStore
import LgregTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10's crashes, hangs and unbounded work, each refused with a clear error and the store untouched.
extension HostileArchiveTests {
    /// Case 4: a truncated archive made `publish` die with SIGILL (the hashing writer released on its own
    /// queue). Cut at many points, in a plain tar (exact offsets: inside a tar header, inside the manifest,
    /// inside a tensor) and in the zstd one (inside the frame header, inside compressed blocks), every cut is
    /// refused by publish, inspect and an in-memory read.
    @Test func truncatedArchivesAreRefusedWhereverTheyAreCut() throws {
        let plain = dir.appendingPathComponent("plain.tar")
        let zstd = dir.appendingPathComponent("whole.lgz")
        writeHandTar(parts.entries, to: plain, compressed: false)
        writeHandTar(parts.entries, to: zstd)
        let plainBytes = try Data(contentsOf: plain)
        let zstdBytes = try Data(contentsOf: zstd)
        // Plain tar: 512-byte header, data padded to 512. Entry k's header starts at `starts[k]`.
        var starts: [Int] = []
        var offset = 0
        for entry in parts.entries {
            starts.append(offset)
            offset += 512 + (entry.data.count + 511) / 512 * 512
        }
        let sharedData = starts[1] + 512
        let layerData = starts[2] + 512
        let plainCuts = [
            100, 511, 600, starts[1] + 100, sharedData + 2_000, layerData + 8, layerData + 30_000, starts[3] + 300,
            offset - 1,
        ]
        let zstdCuts = [
            4, 40, zstdBytes.count / 8, zstdBytes.count / 4, zstdBytes.count / 2, 3 * zstdBytes.count / 4,
            zstdBytes.count - 20, zstdBytes.count - 1,
        ]
        for (bytes, cuts) in [(plainBytes, plainCuts), (zstdBytes, zstdCuts)] {
            for cut in cuts where cut < bytes.count {
                let url = dir.appendingPathComponent("cut-\(cut).lgz")
                try bytes.prefix(cut).write(to: url)
                try refuse(
                    url, { if case .unreadable = $0 { true } else { false } }, message: "not a readable .lgz archive: ")
                #expect(throws: ArchiveError.self, "inspect of a cut at \(cut)") { try LearngeneArchive.inspect(url) }
                #expect(throws: ArchiveError.self, "read of a cut at \(cut)") { try LearngeneArchive.read(url) }
            }
        }
    }

    /// Case 5: dimensions that overflowed (SIGILL) in inspect and publish are refused by field, as is a
    /// declared result at depth 10¹² (verify allocated 1.6 TB for it) and a schedule that overflowed its sum.
    @Test(arguments: [
        (
            "\"width\" : 64", "\"width\" : 4000000000", "architecture.width",
            "is 4000000000; it must lie between 1 and 65536"
        ),
        (
            "\"classes\" : 10", "\"classes\" : 4611686018427387904", "architecture.classes",
            "is 4611686018427387904; it must lie between 1 and 1000000"
        ),
        (
            "\"imageSize\" : 28", "\"imageSize\" : 1099511627776", "architecture.imageSize",
            "is 1099511627776; it must lie between 1 and 8192"
        ),
        (
            "\"results\" : [\n\n  ]",
            "\"results\" : [{\"depth\": 1000000000000, \"strategy\": \"cyclic\", \"tunedEpochs\": 0, \"evalSet\": \"x\", \"top1\": 0.5}]",
            "results[0]", "needs depth in 1...1024"
        ),
        (
            "\"schedule\" : [\n    1,\n    1\n  ]",
            "\"schedule\" : [4611686018427387904, 4611686018427387904, 1, 1, 1]",
            "schedule", "stage 0 has 4611686018427387904 layers"
        ),
    ])
    func hugeDimensionsAreRefusedByField(find: String, replace: String, field: String, reason: String) throws {
        let text = String(decoding: parts.manifestBytes, as: UTF8.self)
        #expect(text.contains(find), "the manifest has no \(find)")
        var entries = parts.entries
        entries[0].data = Data(text.replacingOccurrences(of: find, with: replace).utf8)
        try refuse(entries, { if case .invalidManifest(_, field, _) = $0 { true } else { false } }, message: reason)
    }

    /// Case 15: Foundation kept the first of two "name" keys, Python the last, so the archive published as
    /// one learngene reads as another elsewhere.
    @Test func duplicateManifestKeysAreRefused() throws {
        let text = String(decoding: parts.manifestBytes, as: UTF8.self)
        var entries = parts.entries
        entries[0].data = Data(
            text.replacingOccurrences(
                of: "\"name\" : \"incoming\"", with: "\"name\" : \"incoming\", \"name\" : \"resident\""
            ).utf8)
        #expect(entries[0].data != parts.manifestBytes)
        try refuse(
            entries, { if case .invalidManifest(_, "name", _) = $0 { true } else { false } },
            message: "field 'name' appears twice in one object; lgreg refuses duplicate keys")
    }

    /// Case 6: the manifest's own architecture bounded an entry (classes 2^20 allowed a 4 GiB entry); the
    /// absolute `entryBytes` limit refuses it from its header, before a byte is inflated.
    @Test func entriesAreBoundedAbsolutely() throws {
        let limit = parts.manifest.layers[0].size - 1
        try refuse(
            parts.entries, limits: ArchiveLimits(entryBytes: limit),
            { if case .limitExceeded(_, "layers/0.safetensors", limit, _) = $0 { true } else { false } },
            message: "entry 'layers/0.safetensors': the entry expands past the limit of \(limit) bytes")
    }

    /// Case 7: a hostile entry name of 100 kB is quoted to 200 characters and an ellipsis.
    @Test func hostileNamesAreQuotedShort() throws {
        let name = String(repeating: "x", count: 100_000)
        try refuse(
            parts.entries.prefix(1) + [HandEntry(path: name, data: Data("x".utf8))],
            { if case .unexpectedEntry = $0 { true } else { false } },
            message: "entry '\(String(repeating: "x", count: 200))…': not listed in manifest.json")
    }

    /// Case 7: a FIFO given as the archive blocked publish forever; a folder is refused too.
    @Test(.timeLimit(.minutes(1))) func specialFilesAreRefusedWithoutBlocking() throws {
        let fifo = dir.appendingPathComponent("fifo.lgz")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let before = try treeHash(store.layout.root)
        for (url, what) in [(fifo, "a FIFO"), (dir, "a folder")] {
            #expect(throws: FileSystemError(path: url.path, reason: "is \(what), not a regular file", kind: .refused)) {
                try store.publish(archive: url)
            }
            #expect(throws: FileSystemError.self) { try LearngeneArchive.inspect(url) }
        }
        #expect(try treeHash(store.layout.root) == before)
    }
}
