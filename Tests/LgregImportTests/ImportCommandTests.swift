import Foundation
import LgregTestSupport
import SafeTensors
import Testing

/// The "done when", through the `lgreg` binary: import the official SWS checkpoint, publish it,
/// materialize a depth-14 Des-Net and find in its `model.safetensors` exactly the tensors timm loads strictly.
@Suite struct ImportCommandTests {
    @Test func importPublishMaterializeGivesTheTimmDesNet() throws {
        let directory = try TemporaryDirectory()
        let store = ["--store", directory.path("store")]
        let checkpoint = ImportFixtures.path("sws-aux.pth")
        let imported = try runLgreg([
            "import", checkpoint, "--layout", "sws-official", "--heads", "2", "-o", directory.path("aux-b.lgz"),
        ])
        #expect(imported.status == 0, "\(imported.summary)")
        #expect(imported.out.contains("aux-b:1, sws, 5 layers"), "\(imported.summary)")
        let published = try runLgreg(["publish", directory.path("aux-b.lgz")] + store)
        #expect(published.status == 0, "\(published.summary)")
        let materialized = try runLgreg(
            ["materialize", "aux-b", "--depth", "14", "--output", directory.path("d14")] + store)
        #expect(materialized.status == 0, "\(materialized.summary)")

        let export = try SafeTensorsFile(
            path: directory.appending("d14").appendingPathComponent("model.safetensors").path)
        let io = try ImportFixtures.io("sws-aux")
        let expected = io.tensors.filter { $0.name.hasPrefix("d14.") }
        #expect(export.tensors.count == expected.count)
        for tensor in expected {
            let name = String(tensor.name.dropFirst(4))
            #expect(try export.floats(name) == (try io.floats(tensor.name)), "\(name)")
        }
    }

    @Test func inspectListsEntriesTensorsAndLayout() throws {
        let result = try runLgreg(["import", "--inspect", ImportFixtures.path("sws-aux.pth"), "--heads", "2"])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.out.contains("args: opaque argparse.Namespace"))
        #expect(result.out.contains("blocks.block.attn.qkv.instances.4.weight  F32  [48, 16]"))
        #expect(result.out.contains("layout: sws-official → sws learngene"), "\(result.summary)")
    }

    @Test func missingKeyIsBadInput() throws {
        let directory = try TemporaryDirectory()
        let result = try runLgreg([
            "import", ImportFixtures.path("sws-aux.pth"), "--layout", "sws-official", "--key", "teacher",
            "--heads", "2", "-o", directory.path("x.lgz"),
        ])
        #expect(result.status == 64, "\(result.summary)")
        #expect(
            result.err.contains("no 'teacher' in the checkpoint; its top-level keys: model, optimizer"),
            "\(result.summary)")
    }
}
