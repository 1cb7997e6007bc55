import Foundation
import LgregArchive
import LgregCore
import LgregTestSupport
import Testing

@testable import LgregImport

/// Issue 28: `import` reads each tensor where the checkpoint holds it (the mapped zip entry) and writes the archive
/// in one pass. The files it writes are the ones the importer that copied every tensor wrote (their SHA-256s were
/// recorded from that importer's archives of the same fixtures), and the zip offsets it reads at are the ones a
/// zip built here by hand puts its entries at.
@Suite struct StreamingImportTests {
    /// SHA-256s of `shared.safetensors` then `layers/0…`, as the copying importer (before issue 28) wrote them:
    /// F32 storages mapped in place (`sws-aux`), a shared storage and a transposed view gathered (`timm-views`),
    /// F16 kept F16 (`timm-f16-protocol4`).
    static let knownFiles: [(String, CheckpointLayout, [String])] = [
        (
            "sws-aux.pth", .swsOfficial,
            [
                "f94844e351f76f645107742693f6ace22d61103fed3990e5cfbb4bc0474a8c11",
                "dd7846c3aa5298c7cfd1fcbf09d7df486f0acdf04eaa95dd5a1ffc2caf497414",
                "dd6da70c0f93e66258cf3c54f2133a39f4f76471920a5a7683dd19db17b57184",
                "c7a8543d7ed98f72c07bac8297f9cf6e5f5e0e1409bc527a5a054f3987d02d86",
                "07d8a4fd01a619f82c51856aab4752fa4cc170d100c0cee73e762a94f53af9ec",
                "3301f6486bfbfb9bdf7d188e4b35ded539698c4928efa5081c3aa987ced52d82",
            ]
        ),
        (
            "timm-views.pth", .timm,
            [
                "bf2a3191b67454ac137431504a33de87dad7568d4f802487809a0bf0ff7e1c74",
                "64e53af3960a0351915ffa6e2d37918d3b40e987ece626abb91d3db86d830ffc",
                "60e3c2c42771b48f485e665f452d3b2ac41141712d637046e8447b71e40962c8",
            ]
        ),
        (
            "timm-f16-protocol4.pth", .timm,
            [
                "763b0cccf66767794704518c4872dcae25daf78c2cac9340bdcb4806c7097ff4",
                "6345dc8c0d5d3ddb1781394e9455991962da98dbd1c61049bfbce80682339254",
                "3523991538a98d39beda96ea224ea878d5d17ebe3b536db4d2e662b0b1e39984",
            ]
        ),
    ]

    @Test(arguments: knownFiles.map(\.0))
    func filesAreTheOnesTheCopyingImporterWrote(name: String) throws {
        let (_, layout, digests) = Self.knownFiles.first { $0.0 == name }!
        let directory = try TemporaryDirectory()
        let output = directory.appending("out.lgz")
        let request = CheckpointImport.Request(
            path: ImportFixtures.path(name), layout: layout, options: ImportFixtures.options, name: "known",
            output: output, toolVersion: "lgreg test")
        let manifest = try CheckpointImport.run(request)
        #expect(manifest.files.map(\.digest.hex) == digests)
        // The checkpoint's own SHA-256, hashed from the mapping, is the file's.
        let (digest, _) = try Digest.ofFile(URL(fileURLWithPath: ImportFixtures.path(name)))
        #expect(manifest.provenance.source?.digest == digest)
        // The same input gives the same archive, byte for byte.
        let again = directory.appending("again.lgz")
        try CheckpointImport.run(
            .init(
                path: request.path, layout: layout, options: ImportFixtures.options, name: "known", output: again,
                toolVersion: "lgreg test"))
        #expect(try Data(contentsOf: output) == Data(contentsOf: again))
        let read = try LearngeneArchive.read(output)
        #expect(read.files.map(\.record.digest.hex) == digests)
    }

    /// torch stores every storage uncompressed, so every one is a view of the mapped file, none a copy.
    @Test(arguments: ["sws-aux.pth", "timm-views.pth", "timm-f16-protocol4.pth", "tleg-aux.pth"])
    func everyStorageIsAViewOfTheMappedFile(name: String) throws {
        let zip = try TorchZip.read(path: ImportFixtures.path(name), label: name, limits: ImportLimits())
        let mapping = zip.memory.mapping
        #expect(!zip.storages.isEmpty)
        for (key, bytes) in zip.storages {
            let start = bytes.baseAddress.map { $0 - mapping.baseAddress! } ?? -1
            #expect(start >= 0 && start + bytes.count <= mapping.count, "storage \(key) is not in the mapping")
        }
    }

    /// A zip built byte by byte: `a/data/0` stored (8 bytes at a known offset), `a/data/1` deflated (never
    /// mapped), `a/data/2` stored with ZIP64 sizes and offset in its central-directory extra field.
    @Test func storedEntriesAreFoundAtTheirOffsets() {
        var zip = [UInt8]()
        func le(_ value: Int, _ bytes: Int) { for i in 0..<bytes { zip.append(UInt8((value >> (8 * i)) & 0xFF)) } }
        struct Entry {
            let name: String
            let method: Int
            let data: [UInt8]
            let zip64: Bool
            var local = 0
        }
        var entries = [
            Entry(name: "a/data/0", method: 0, data: [1, 2, 3, 4, 5, 6, 7, 8], zip64: false),
            Entry(name: "a/data/1", method: 8, data: [9, 9, 9], zip64: false),
            Entry(name: "a/data/2", method: 0, data: Array(repeating: 7, count: 12), zip64: true),
        ]
        var dataOffsets: [Int] = []
        for index in entries.indices {
            entries[index].local = zip.count
            let entry = entries[index]
            le(0x0403_4B50, 4)
            le(20, 2)
            le(0, 2)
            le(entry.method, 2)
            le(0, 4)  // time, date
            le(0, 4)  // crc
            le(entry.data.count, 4)
            le(entry.data.count, 4)
            le(entry.name.utf8.count, 2)
            le(4, 2)  // a local extra field of 4 bytes (an empty one), as torch's alignment padding is
            zip += Array(entry.name.utf8)
            le(0xCAFE, 2)
            le(0, 2)
            dataOffsets.append(zip.count)
            zip += entry.data
        }
        let directory = zip.count
        for entry in entries {
            le(0x0201_4B50, 4)
            le(45, 2)
            le(45, 2)
            le(0, 2)
            le(entry.method, 2)
            le(0, 4)
            le(0, 4)
            le(entry.zip64 ? 0xFFFF_FFFF : entry.data.count, 4)
            le(entry.zip64 ? 0xFFFF_FFFF : entry.data.count, 4)
            le(entry.name.utf8.count, 2)
            le(entry.zip64 ? 28 : 0, 2)
            le(0, 2)  // comment
            le(0, 2)
            le(0, 2)
            le(0, 4)
            le(entry.zip64 ? 0xFFFF_FFFF : entry.local, 4)
            zip += Array(entry.name.utf8)
            if entry.zip64 {
                le(0x0001, 2)
                le(24, 2)
                le(entry.data.count, 8)  // uncompressed, then compressed, then the local header's offset
                le(entry.data.count, 8)
                le(entry.local, 8)
            }
        }
        let size = zip.count - directory
        le(0x0605_4B50, 4)
        le(0, 4)
        le(entries.count, 2)
        le(entries.count, 2)
        le(size, 4)
        le(directory, 4)
        le(0, 2)
        zip.withUnsafeBytes { bytes in
            let stored = StoredEntries(bytes)
            #expect(stored.range(of: "a/data/0", size: 8) == dataOffsets[0]..<(dataOffsets[0] + 8))
            #expect(stored.range(of: "a/data/0", size: 9) == nil, "a size other than libarchive's is not mapped")
            #expect(stored.range(of: "a/data/1", size: 3) == nil, "a deflated entry is not mapped")
            #expect(stored.range(of: "a/data/2", size: 12) == dataOffsets[2]..<(dataOffsets[2] + 12))
            #expect(Array(bytes[dataOffsets[0]..<(dataOffsets[0] + 8)]) == [1, 2, 3, 4, 5, 6, 7, 8])
            // Cut before the end record: nothing is found, and everything would go through libarchive.
            let cut = StoredEntries(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 10)]))
            #expect(cut.range(of: "a/data/0", size: 8) == nil)
        }
    }
}
