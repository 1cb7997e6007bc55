import Foundation
import LgregArchive
import LgregStore
import LgregTestSupport
import Testing

/// Each hostile archive is refused with a message naming the entry and the reason, and the store (already
/// holding one learngene) is byte-identical afterwards.
@Suite struct HostileArchiveTests {
    let dir: URL
    let store: LearngeneStore
    let parts: ArchiveParts

    init() throws {
        dir = try scratchDirectory()
        store = try LearngeneStore(root: dir.appendingPathComponent("store"), mode: .create)
        try store.publish(archive: try smallArchive(in: dir, name: "resident"))
        parts = try ArchiveParts(try smallArchive(in: dir, name: "incoming", seed: 1, file: "incoming.lgz"))
    }

    /// Publishes `entries` as a hand-built archive and checks the refusal and the untouched store.
    func refuse(
        _ entries: [HandEntry], limits: ArchiveLimits = ArchiveLimits(), _ expected: (ArchiveError) -> Bool,
        message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let url = dir.appendingPathComponent("hostile-\(UUID().uuidString).lgz")
        writeHandTar(entries, to: url)
        try refuse(url, limits: limits, expected, message: message, sourceLocation: sourceLocation)
    }

    /// Publishes the archive at `url` and checks the refusal and the untouched store.
    func refuse(
        _ url: URL, limits: ArchiveLimits = ArchiveLimits(), _ expected: (ArchiveError) -> Bool,
        message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try treeHash(store.layout.root)
        do {
            try store.publish(archive: url, limits: limits)
            Issue.record("the archive was accepted", sourceLocation: sourceLocation)
        } catch let error as ArchiveError {
            #expect(expected(error), "got \(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix(url.path + ": "), sourceLocation: sourceLocation)
            #expect(error.description.contains(message), "got \(error)", sourceLocation: sourceLocation)
        }
        #expect(try treeHash(store.layout.root) == before, "store changed", sourceLocation: sourceLocation)
        #expect(try store.list().map(\.reference) == ["resident:1"], sourceLocation: sourceLocation)
    }

    @Test func dotDotPath() throws {
        try refuse(
            parts.entries.prefix(1) + [HandEntry(path: "layers/../../evil", data: Data("x".utf8))],
            { if case .unsafePath = $0 { true } else { false } }, message: "entry 'layers/../../evil': unsafe path")
    }

    @Test func absolutePath() throws {
        try refuse(
            parts.entries.prefix(1) + [HandEntry(path: "/tmp/evil", data: Data("x".utf8))],
            { if case .unsafePath = $0 { true } else { false } }, message: "entry '/tmp/evil': unsafe path")
    }

    @Test func symlink() throws {
        try refuse(
            parts.entries.prefix(1) + [
                HandEntry(path: "shared.safetensors", type: TarFileType.symlink, symlink: "/etc/passwd")
            ],
            { if case .symlink = $0 { true } else { false } },
            message: "entry 'shared.safetensors': symbolic link to '/etc/passwd' refused")
    }

    @Test func hardLink() throws {
        try refuse(
            parts.entries.prefix(2) + [HandEntry(path: "layers/0.safetensors", hardlink: "shared.safetensors")],
            { if case .hardLink = $0 { true } else { false } },
            message: "entry 'layers/0.safetensors': hard link to 'shared.safetensors' refused")
    }

    @Test func device() throws {
        try refuse(
            parts.entries.prefix(2) + [HandEntry(path: "layers/0.safetensors", type: TarFileType.characterDevice)],
            { if case .specialFile = $0 { true } else { false } },
            message: "entry 'layers/0.safetensors': character device refused")
    }

    @Test func entryLargerThanDeclared() throws {
        var entries = parts.entries
        entries[1].data += Data(count: 8)
        let declared = parts.manifest.shared!.size
        try refuse(
            entries,
            { if case .sizeMismatch(_, "shared.safetensors", declared, declared + 8) = $0 { true } else { false } },
            message: "entry 'shared.safetensors': \(declared + 8) bytes, but manifest.json declares \(declared)")
    }

    /// 64 MiB of zeros compress to a few kB; the entry is refused from its header, before a byte is inflated,
    /// because the architecture bounds a shared file to its tensors plus a 1 MiB header allowance: fmnist-tiny's
    /// shared tensors hold 64·16 + 64 (patch) + 49·64 (position) + 2·64 (norm) + 10·64 + 10 (head) = 5,002
    /// parameters, 20,008 bytes in F32, so the bound is 20,008 + 1,048,576.
    @Test func decompressionBombEntry() throws {
        var bomb = parts
        try bomb.replace("shared.safetensors", with: Data(count: 64 << 20))
        let limit = 20_008 + 1_048_576
        try refuse(
            bomb.entries, { if case .limitExceeded(_, "shared.safetensors", limit, _) = $0 { true } else { false } },
            message: "entry 'shared.safetensors': the entry expands past the limit of \(limit) bytes")
    }

    @Test func totalPastTheLimit() throws {
        let limit = parts.manifest.shared!.size + 100
        try refuse(
            parts.entries, limits: ArchiveLimits(totalBytes: limit),
            { if case .limitExceeded(_, "layers/0.safetensors", limit, _) = $0 { true } else { false } },
            message: "the archive expands past the limit of \(limit) bytes")
    }

    @Test func duplicateEntry() throws {
        try refuse(
            parts.entries.prefix(3) + parts.entries.suffix(1) + parts.entries.suffix(1),
            { if case .duplicateEntry = $0 { true } else { false } },
            message: "entry 'layers/1.safetensors': appears twice")
    }

    @Test func missingManifest() throws {
        try refuse(
            Array(parts.entries.dropFirst()), { if case .missingManifest = $0 { true } else { false } },
            message: "manifest.json must be the first entry; the first entry is 'shared.safetensors'")
        try refuse([], { if case .missingManifest = $0 { true } else { false } }, message: "the archive is empty")
    }

    @Test func schemaViolatingManifest() throws {
        var entries = parts.entries
        entries[0].data = Data(
            String(decoding: parts.manifestBytes, as: UTF8.self)
                .replacingOccurrences(of: "\"dtype\" : \"F32\"", with: "\"dtype\" : 32").utf8)
        try refuse(
            entries, { if case .invalidManifest(_, "dtype", _) = $0 { true } else { false } },
            message: "entry 'manifest.json': field 'dtype'")
    }

    @Test func shapeDisagreesWithTheArchitecture() throws {
        var wrong = parts
        let file = try SafeTensorsTestFile.layer(
            parts.files["layers/0.safetensors"]!, replacing: "mlp.fc1.weight", shape: [128, 64])
        try wrong.replace("layers/0.safetensors", with: file)
        try refuse(
            wrong.entries,
            { if case .tensorMismatch(_, "layers/0.safetensors", "mlp.fc1.weight", _) = $0 { true } else { false } },
            message:
                "entry 'layers/0.safetensors': tensor 'mlp.fc1.weight' has shape [128, 64], the architecture needs [256, 64]"
        )
    }

    @Test func invalidSafeTensors() throws {
        var garbage = parts
        try garbage.replace("layers/1.safetensors", with: Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 2, 3]))
        try refuse(
            garbage.entries, { if case .invalidSafeTensors(_, "layers/1.safetensors", _) = $0 { true } else { false } },
            message:
                "entry 'layers/1.safetensors': invalid safetensors: header of 4294967295 bytes exceeds the archive's allowance of 1048576"
        )
    }

    @Test func digestMismatch() throws {
        var entries = parts.entries
        entries[2].data[entries[2].data.count - 1] ^= 0x01
        try refuse(
            entries,
            {
                if case .digestMismatch(_, "layers/0.safetensors", parts.manifest.layers[0].digest.description, _) = $0
                {
                    true
                } else {
                    false
                }
            },
            message: "entry 'layers/0.safetensors': digest sha256:")
    }
}
