import Foundation
import LgregArchitecture
import LgregArchive
import LgregResolver
import LgregStore
import LgregTestSupport
import LgregZoo
import Testing

/// Des-Nets recorded in a real store (a temporary folder): the manifest references the learngene's own blobs,
/// each once, and its config blob is the Des-Net's config.json.
@Suite struct StoredDesNetTests {
    @Test func recordReferencesTheLearngeneBlobsItUses() throws {
        let temporary = try TemporaryDirectory("lgreg-stored-desnet")
        let folder = temporary.url
        let archive = folder.appendingPathComponent("aux.lgz")
        try RandomLearngene.write(
            name: "aux", version: "1", kind: .sws,
            architecture: ViTArchitecture(
                imageSize: 8, patchSize: 4, inChannels: 1, width: 8, heads: 2, classes: 3,
                classToken: false, pooling: .avgNormFirst),
            schedule: try StageSchedule([3, 3, 4, 3, 3]), seed: 1, toolVersion: "test", to: archive)
        let store = try LearngeneStore(root: folder.appendingPathComponent("store"), mode: .create)
        _ = try store.publish(archive: archive)
        let learngene = try store.resolve("aux:1")

        // Depth 3 with drop-stages allowed uses stages 0, 1, 2 only: the shared blob and three layer blobs.
        let net = try Materializer.plan(
            ManifestSource(learngene), depth: 3, strategy: .cyclic(.named(.frontMidLast)), allowDropStages: true)
        let (digest, tag) = try StoredDesNet.record(net, from: learngene, in: store, tool: "test")
        #expect(tag == "aux-d3:1-cyclic-front-mid-last")
        let manifest = try store.imageManifest(digest)
        #expect(manifest.artifactType == StoredDesNet.artifactType)
        #expect(manifest.layers.map(\.digest) == [learngene.shared.digest] + learngene.layers.prefix(3).map(\.digest))
        #expect(manifest.annotations?[OCIAnnotation.baseDigest] == learngene.digest.description)
        let config = try TimmConfig.read(from: store.layout.blob(manifest.config.digest))
        #expect(config == TimmConfig(net, tool: "test"))
        #expect(config.lgreg.lineage.learngeneDigest == learngene.digest.description)

        let recorded = try store.materializations(of: learngene.digest)
        #expect(recorded.map(\.desNetDigest) == [digest])
        #expect(recorded.first?.depth == 3)
        #expect(recorded.first?.order == "front-mid-last")

        // A Des-Net built through the store copies the stored layers' bytes.
        let layer1 = try learngene.layers[1].open()
        let copied = try net.tensors.first { $0.name == "blocks.1.attn.qkv.weight" }!.withBytes { Array($0) }
        #expect(copied == Array(try layer1.bytes("attn.qkv.weight")))
    }
}
