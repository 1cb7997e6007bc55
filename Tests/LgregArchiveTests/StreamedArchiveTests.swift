import Foundation
import LgregArchitecture
import LgregArchive
import SafeTensors
import Testing

/// `LearngeneArchive.open`: the manifest now, each file when its bytes are first used, with `read`'s checks.
@Suite struct StreamedArchiveTests {
    /// A 3-layer fmnist-tiny SWS archive, read whole, and a writer of variants of it.
    struct Fixture {
        let dir: URL
        let url: URL
        let whole: ExtractedLearngene

        init() throws {
            dir = try scratchDirectory()
            url = dir.appendingPathComponent("a.lgz")
            try RandomLearngene.write(
                name: "t", version: "1", kind: .sws, architecture: try .preset("fmnist-tiny"),
                schedule: try StageSchedule([1, 2, 1]), seed: 3, toolVersion: "test", to: url)
            whole = try LearngeneArchive.read(url)
        }

        /// The archive's entries in order, with `change` applied to each file's bytes (nil drops the entry), and
        /// `extra` appended as a last entry.
        func variant(
            _ name: String, extra: String? = nil, change: (String, Data) -> Data? = { $1 }
        ) throws -> URL {
            let out = dir.appendingPathComponent(name)
            let tar = try TarWriter(url: out)
            try tar.addFile(LearngeneManifest.entryName, data: whole.manifestBytes)
            for file in whole.files {
                if let data = change(file.record.file, Data(file.tensors.fileBytes)) {
                    try tar.addFile(file.record.file, data: data)
                }
            }
            if let extra { try tar.addFile(extra, data: Data("x".utf8)) }
            try tar.finish()
            return out
        }
    }

    /// Files asked for out of archive order (last layer first, shared last, one twice) hold the bytes `read` holds.
    @Test func filesReadOnDemandInAnyOrderEqualTheWholeRead() throws {
        let fixture = try Fixture()
        let streamed = try LearngeneArchive.open(fixture.url)
        #expect(streamed.manifest == fixture.whole.manifest && streamed.manifestBytes == fixture.whole.manifestBytes)
        for slot in [3, 1, 2, 0, 1] {
            let file = streamed.file(slot)
            let expected = fixture.whole.files[slot].tensors
            #expect(file.tensors == expected.tensors)
            #expect(Array(file.fileBytes) == Array(expected.fileBytes))
            for tensor in expected.tensors {
                #expect(try file.floats(tensor.name) == (try expected.floats(tensor.name)))
            }
        }
    }

    /// Opening reads the manifest alone: a layer whose bytes differ from its digest is described (names, shapes,
    /// dtype) without complaint, the other files read, and its first use fails with `read`'s own error.
    @Test func aDamagedFileFailsWhenUsedNotWhenDescribed() throws {
        let fixture = try Fixture()
        let damaged = try fixture.variant("damaged.lgz") { name, data in
            guard name == LearngeneManifest.layerFile(1) else { return data }
            var flipped = data
            flipped[flipped.count - 1] ^= 1  // the lowest mantissa bit of the last float
            return flipped
        }
        let thrown = #expect(throws: ArchiveError.self) { try LearngeneArchive.read(damaged) }
        guard let wholeError = thrown, case .digestMismatch = wholeError else {
            Issue.record("read threw \(String(describing: thrown))")
            return
        }
        let streamed = try LearngeneArchive.open(damaged)
        let layer = streamed.layer(1)
        let spec = try ViTArchitecture.preset("fmnist-tiny").blockTensorSpecs[0]
        #expect(try layer.info(spec.name).shape == spec.shape)
        #expect(try streamed.layer(0).floats(spec.name) == (try fixture.whole.layers[0].tensors.floats(spec.name)))
        #expect(throws: wholeError) { try layer.bytes(spec.name) }
        #expect(layer.fileBytes.isEmpty)
        #expect(try streamed.layer(2).floats(spec.name) == (try fixture.whole.layers[2].tensors.floats(spec.name)))
    }

    /// A missing file fails its use with `missingEntry`; an unlisted entry after the last file fails the use that
    /// reaches the end of the archive, as `read` refuses both.
    @Test func missingAndUnlistedEntriesAreRefusedAsReadRefusesThem() throws {
        let fixture = try Fixture()
        let missing = try fixture.variant("missing.lgz") { name, data in
            name == LearngeneManifest.layerFile(1) ? nil : data
        }
        let streamed = try LearngeneArchive.open(missing)
        let absent = streamed.layer(1)
        #expect(throws: ArchiveError.missingEntry(path: missing.path, entry: LearngeneManifest.layerFile(1))) {
            try absent.bytes(absent.tensors[0].name)
        }
        #expect(throws: ArchiveError.missingEntry(path: missing.path, entry: LearngeneManifest.layerFile(1))) {
            try LearngeneArchive.read(missing)
        }
        let extra = try fixture.variant("extra.lgz", extra: "notes.txt")
        let unlisted = ArchiveError.unexpectedEntry(path: extra.path, entry: "notes.txt")
        #expect(throws: unlisted) { try LearngeneArchive.read(extra) }
        let opened = try LearngeneArchive.open(extra)
        for slot in 0..<3 {
            let file = opened.file(slot)
            _ = try file.bytes(file.tensors[0].name)
        }
        let last = opened.file(3)
        #expect(throws: unlisted) { try last.bytes(last.tensors[0].name) }
    }
}
