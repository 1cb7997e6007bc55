import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregStore
import LgregTestSupport
import SafeTensors
import Testing

@Suite struct StoreTests {
    @Test func layoutIsAnOCIImageLayout() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let digest = try store.publish(archive: try smallArchive(in: dir)).digest
        let layout =
            try JSONSerialization.jsonObject(with: Data(contentsOf: store.layout.ociLayout)) as! [String: String]
        #expect(layout == ["imageLayoutVersion": "1.0.0"])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: store.layout.indexJSON)) as! [String: Any]
        #expect(index["schemaVersion"] as? Int == 2)
        let entry = (index["manifests"] as! [[String: Any]])[0]
        #expect(entry["digest"] as? String == digest.description)
        #expect((entry["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == "tiny:1")
        // Every blob file is named by the SHA-256 of its bytes (checked with sha256sum, an outside tool).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "cd '\(store.layout.blobsDirectory.path)' && for f in *; do echo \"$f  $f\"; done | sha256sum -c --quiet",
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let image = try store.imageManifest(digest)
        #expect(image.artifactType == "application/vnd.lgreg.learngene.v1")
        #expect(image.layers.map { $0.annotations?["org.lgreg.role"] } == ["shared", "stage", "stage"])
        #expect(try blobCount(store) == 5)  // shared + 2 layers + config + manifest
    }

    @Test func referencesResolveByTagNameAndDigestPrefix() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let first = try store.publish(archive: try smallArchive(in: dir, version: "1", seed: 0, file: "a.lgz")).digest
        let second = try store.publish(archive: try smallArchive(in: dir, version: "2", seed: 1, file: "b.lgz")).digest
        #expect(try store.resolve("tiny:1").digest == first)
        #expect(try store.resolve("tiny").digest == second, "a bare name is its latest version")
        #expect(try store.resolve(String(first.hex.prefix(10))).digest == first)
        #expect(try store.resolve("sha256:" + second.hex.prefix(8)).digest == second)
        #expect(throws: StoreError.notFound(reference: "tiny:3")) { try store.resolve("tiny:3") }
        #expect(throws: StoreError.invalidReference("Not A Ref!")) { try store.resolve("Not A Ref!") }
    }

    /// The resolver's view: each layer blob maps as a safetensors file with block-relative names and exactly
    /// the archive's bytes.
    @Test func resolvedLayersAreTheArchiveBytes() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let archive = try smallArchive(in: dir)
        try store.publish(archive: archive)
        let original = try LearngeneArchive.read(archive)
        let stored = try store.resolve("tiny:1")
        #expect(stored.manifest == original.manifest)
        #expect(stored.layers.map(\.index) == [0, 1])
        for (blob, file) in zip([stored.shared] + stored.layers, original.files) {
            #expect(blob.digest == file.record.digest)
            let mapped = try blob.open()
            #expect(Array(mapped.fileBytes) == Array(file.tensors.fileBytes))
        }
        #expect(try stored.layers[1].open().info("attn.qkv.weight").shape == [192, 64])
    }

    /// An identical layer is stored once, whether repeated inside one learngene or shared by two versions.
    @Test func identicalLayersAreStoredOnce() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let arch = try ViTArchitecture.preset("fmnist-tiny")
        // A plain 3-block model whose blocks are all the same block: one layer blob.
        let one = try SafeTensorsFile(
            data: try RandomLearngene.model(architecture: arch, layers: 1, seed: 5), label: "m")
        var writer = SafeTensorsWriter()
        for info in one.tensors where !info.name.hasPrefix("blocks.") {
            try writer.add(info.name, dtype: info.dtype, shape: info.shape, bytes: Array(try one.bytes(info.name)))
        }
        for block in 0..<3 {
            for spec in arch.blockTensorSpecs {
                let info = try one.info("blocks.0.\(spec.name)")
                try writer.add(
                    "blocks.\(block).\(spec.name)", dtype: info.dtype, shape: info.shape,
                    bytes: Array(try one.bytes(info.name)))
            }
        }
        let template = LearngeneManifest(
            name: "same", version: "1", description: "", license: "MIT", kind: .plain, architecture: arch,
            schedule: try StageSchedule([1, 1, 1]), dtype: .f32, provenance: .init(trained: true, toolVersion: "t"))
        let url = dir.appendingPathComponent("same.lgz")
        try LearngeneArchive.pack(
            template: template, model: try SafeTensorsFile(data: try writer.serialized(), label: "m"), to: url)
        let result = try store.publish(archive: url)
        #expect(result.newBlobs == 2 && result.reusedBlobs == 2)
        #expect(try blobCount(store) == 4)  // shared + 1 layer + config + manifest
        // The same archive under another tag: the same manifest, no new blob.
        let again = try store.publish(archive: url, tag: "same:2")
        #expect(
            again.newBlobs == 0 && again.reusedBlobs == 4 && again.digest == result.digest && !again.alreadyPublished)
        #expect(try blobCount(store) == 4)
        // Publishing the same content under the same tag again changes nothing.
        let before = try treeHash(store.layout.root.appendingPathComponent("blobs"))
        #expect(try store.publish(archive: url).alreadyPublished)
        #expect(try treeHash(store.layout.root.appendingPathComponent("blobs")) == before)
    }

    @Test func exportRoundTripsManifestAndTensorBytes() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let archive = try smallArchive(in: dir)
        try store.publish(archive: archive)
        let exported = dir.appendingPathComponent("exported.lgz")
        try store.export("tiny:1", to: exported)
        let a = try LearngeneArchive.read(archive)
        let b = try LearngeneArchive.read(exported)
        #expect(a.manifestBytes == b.manifestBytes)
        for (x, y) in zip(a.files, b.files) { #expect(Array(x.tensors.fileBytes) == Array(y.tensors.fileBytes)) }
        // lgreg writes archives deterministically, so the whole file is identical too.
        #expect(try Data(contentsOf: archive) == Data(contentsOf: exported))
    }

    @Test func tagAndRemove() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let digest = try store.publish(archive: try smallArchive(in: dir)).digest
        #expect(try store.tag("tiny:1", as: "tiny:stable") == digest)
        #expect(try store.list().map(\.reference) == ["tiny:1", "tiny:stable"])
        #expect(try store.resolve("tiny:stable").tags == ["tiny:1", "tiny:stable"])
        #expect(throws: StoreError.self) { try store.tag("tiny:1", as: "bad tag") }
        #expect(try store.remove("tiny:1") == ["tiny:1"])
        #expect(try store.list().map(\.reference) == ["tiny:stable"])
        #expect(try store.remove(digest.hex) == ["tiny:stable"])
        #expect(try store.list().isEmpty)
    }

    /// A derived (Des-Net) manifest reuses the learngene's layer blobs without copying them, records its
    /// lineage and materialization, and the record survives a rebuild of the database from the layout.
    @Test func derivedManifestsAndMaterializations() throws {
        let dir = try scratchDirectory()
        let root = dir.appendingPathComponent("s")
        var store = try LearngeneStore(root: root, mode: .create)
        let aux = try store.resolve(try store.publish(archive: try smallArchive(in: dir)).digest.description)
        let blobs = try blobCount(store)
        let layers = [aux.shared.descriptor] + [0, 0, 1, 1].map { aux.layers[$0].descriptor }
        let derived = try store.writeDerived(
            DerivedArtifact(
                reference: "tiny-d4:1", artifactType: "application/vnd.lgreg.desnet.v1",
                config: Data(#"{"depth":4}"#.utf8),
                configMediaType: "application/vnd.lgreg.desnet.config.v1+json", layers: layers, base: aux.digest,
                depth: 4, strategy: "sws", order: "stage", seed: 9))
        #expect(try blobCount(store) == blobs + 2, "only a config and a manifest blob are new")
        let image = try store.imageManifest(derived)
        #expect(image.annotations?["org.opencontainers.image.base.digest"] == aux.digest.description)
        #expect(image.layers.map(\.digest) == layers.map(\.digest))
        #expect(image.annotations?["org.opencontainers.image.created"] == nil, "the manifest names content only")
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: store.layout.indexJSON)) as? [String: Any])
        let tags = (index["manifests"] as? [[String: Any]] ?? []).compactMap { $0["annotations"] as? [String: String] }
        let tagged = try #require(tags.first { $0["org.opencontainers.image.ref.name"] == "tiny-d4:1" })
        let expected = Materialization(
            desNetDigest: derived, learngeneDigest: aux.digest, depth: 4, strategy: "sws", order: "stage", seed: 9,
            created: tagged["org.opencontainers.image.created"])
        #expect(expected.created != nil, "index.json says when the tag was made")
        #expect(try store.materializations(of: aux.digest) == [expected])
        #expect(try store.list().map(\.reference) == ["tiny:1"], "list shows learngenes only")
        #expect(throws: StoreError.self) { try store.resolve("tiny-d4:1") }
        // Delete the database: the next open rebuilds it from index.json and the blobs.
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.layout.database.path + suffix)
        }
        store = try LearngeneStore(root: root, mode: .create)
        #expect(try store.materializations() == [expected])
        #expect(throws: StoreError.missingBlob(Digest(hex: String(repeating: "0", count: 64))!)) {
            var bad = layers
            bad[0].digest = Digest(hex: String(repeating: "0", count: 64))!
            try store.writeDerived(
                DerivedArtifact(
                    reference: "x:1", artifactType: "a", config: Data(), configMediaType: "c",
                    layers: bad, base: aux.digest))
        }
    }

    /// A derived write decides before writing: one aimed at a learngene's tag is refused and adds no blob.
    @Test func aDerivedWriteNeverTakesALearngenesTag() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let aux = try store.resolve(try store.publish(archive: try smallArchive(in: dir)).digest.description)
        let before = try treeHash(store.layout.blobsDirectory)
        #expect(throws: StoreError.tagExists(reference: "tiny:1", existing: aux.digest)) {
            try store.writeDerived(
                DerivedArtifact(
                    reference: "tiny:1", artifactType: "application/vnd.lgreg.desnet.v1", config: Data("{}".utf8),
                    configMediaType: "application/vnd.lgreg.desnet.config.v1+json", layers: [aux.shared.descriptor],
                    base: aux.digest))
        }
        #expect(try treeHash(store.layout.blobsDirectory) == before)
        #expect(try store.resolve("tiny:1").digest == aux.digest)
    }

    /// A store opened for reading writes nothing, and refuses writes.
    @Test func aReaderCreatesAndWritesNothing() throws {
        let dir = try scratchDirectory()
        let root = dir.appendingPathComponent("s")
        #expect(throws: StoreError.noStore(root: root.path)) { try LearngeneStore(root: root, mode: .read) }
        #expect(!FileManager.default.fileExists(atPath: root.path))
        try LearngeneStore(root: root, mode: .create).publish(archive: try smallArchive(in: dir))
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: StoreLayout(root: root).database.path + suffix)
        }
        let before = try treeHash(root)
        let reader = try LearngeneStore(root: root, mode: .read)
        #expect(try reader.list().map(\.reference) == ["tiny:1"], "the index is built in memory")
        _ = try reader.resolve("tiny:1").layers[0].open()
        #expect(throws: StoreError.openedForReading(root: root.path)) { try reader.tag("tiny:1", as: "tiny:2") }
        #expect(try treeHash(root) == before)
    }

    @Test func gcSweepsOnlyUnreachableBlobsPastTheGracePeriod() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        try store.publish(archive: try smallArchive(in: dir))
        // Same seed, so the same layers; another version, so another config and manifest.
        let second = try store.publish(archive: try smallArchive(in: dir, version: "2", file: "v2.lgz")).digest
        let image = try store.imageManifest(second)
        let manifestSize = try Data(contentsOf: store.layout.blob(second)).count
        try store.remove("tiny:2")
        // Young blobs are spared; a staging file two hours old is not.
        let stale = store.layout.tmpDirectory.appendingPathComponent("publish-1-stale")
        try Data("partial".utf8).write(to: stale)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale.path)
        let young = try store.collectGarbage(grace: 3600, dryRun: false, pruneDangling: true)
        #expect(young.blobs.isEmpty && young.sparedYoung == 2 && young.tempFiles == 1)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        // The dry run reports the second version's config and manifest blobs, the layers being shared.
        let dry = try store.collectGarbage(grace: 0, dryRun: true, pruneDangling: true)
        #expect(Set(dry.blobs) == [second, image.config.digest])
        #expect(dry.bytes == manifestSize + image.config.size)
        #expect(try blobCount(store) == 7)
        let swept = try store.collectGarbage(grace: 0, dryRun: false, pruneDangling: true)
        #expect(Set(swept.blobs) == [second, image.config.digest])
        #expect(try blobCount(store) == 5)
        #expect(try store.check(rebuildIndex: false).clean)
        #expect(try store.resolve("tiny:1").layers.count == 2)
    }

    @Test func fsckQuarantinesACorruptedBlob() throws {
        let dir = try scratchDirectory()
        let store = try LearngeneStore(root: dir.appendingPathComponent("s"), mode: .create)
        let stored = try store.resolve(try store.publish(archive: try smallArchive(in: dir)).digest.description)
        #expect(try store.check(rebuildIndex: false).clean)
        let victim = stored.layers[1].url
        var bytes = try Data(contentsOf: victim)
        bytes[bytes.count - 1] ^= 0x80
        try bytes.write(to: victim)
        let report = try store.check(rebuildIndex: true)
        #expect(!report.clean)
        #expect(
            report.problems.contains {
                $0.subject == victim.path && $0.reason.hasPrefix("content hashes to sha256:") && $0.quarantinedTo != nil
            })
        #expect(
            report.problems.contains { $0.subject.hasPrefix("tag tiny:1") && $0.reason.contains("is not in the store") }
        )
        #expect(!FileManager.default.fileExists(atPath: victim.path))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: store.layout.quarantineDirectory.path).contains {
                $0.hasPrefix(stored.layers[1].digest.hex)
            })
        // Publishing the archive again repairs the store.
        try store.remove("tiny:1")
        try store.publish(archive: dir.appendingPathComponent("tiny.lgz"))
        #expect(try store.check(rebuildIndex: false).clean)
    }

    /// The migration SQL compiled into the store is `Schemas/index.sql`, byte for byte.
    @Test func indexSchemaMatchesTheSchemaFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("Schemas/index.sql"), encoding: .utf8)
        #expect(LearngeneStore.indexSchemaSQL == file)
    }
}

@Suite struct LocationTests {
    /// `--store` aside, the store lives at $LGREG_HOME, else $XDG_DATA_HOME/lgreg, else ~/.local/share/lgreg.
    @Test func defaultRootFollowsXDG() {
        #expect(
            StoreLayout.defaultRoot(environment: ["LGREG_HOME": "/a", "XDG_DATA_HOME": "/b", "HOME": "/c"]).path == "/a"
        )
        #expect(StoreLayout.defaultRoot(environment: ["XDG_DATA_HOME": "/b", "HOME": "/c"]).path == "/b/lgreg")
        #expect(StoreLayout.defaultRoot(environment: ["HOME": "/c"]).path == "/c/.local/share/lgreg")
    }

    @Test func digestsParseOnlyTheirCanonicalForm() {
        let hex = String(repeating: "ab", count: 32)
        #expect(Digest("sha256:" + hex)?.hex == hex)
        #expect(Digest("sha256:" + hex.uppercased()) == nil)
        #expect(Digest("sha512:" + hex) == nil)
        #expect(Digest("sha256:" + hex.dropLast()) == nil)
        // SHA-256 of "abc", FIPS 180-2 appendix B.1.
        #expect(Digest.of(Data("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct IndexRecoveryTests {
    /// The database is a cache: a garbage file in its place is set aside and rebuilt from the layout.
    @Test func aCorruptDatabaseIsRebuiltFromTheLayout() throws {
        let dir = try scratchDirectory()
        let root = dir.appendingPathComponent("s")
        let digest = try LearngeneStore(root: root, mode: .create).publish(archive: try smallArchive(in: dir)).digest
        let layout = StoreLayout(root: root)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: layout.database.path + suffix) }
        try Data(repeating: 0x42, count: 4096).write(to: layout.database)
        let store = try LearngeneStore(root: root, mode: .create)
        #expect(try store.list().map(\.digest) == [digest])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: layout.quarantineDirectory.path).contains {
                $0.hasPrefix("index.db.")
            })
    }
}
