import Foundation
import LgregTestSupport
import Testing

/// Outside tools as references: skopeo (containers/image) and ORAS's Python client read what lgreg pushes, and
/// lgreg pulls what skopeo copies out of lgreg's store layout, with the same digests throughout.
@Suite(.serialized) final class InteropTests {
    let temporary: TemporaryDirectory
    init() throws { temporary = try TemporaryDirectory("lgreg-interop") }

    func publishedAndPushed(to registry: RegistryServer, store: String) throws -> String {
        let archive = temporary.path("aux.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "aux", "-o",
                archive,
            ]).status == 0)
        let digest = try runLgreg(["publish", archive, "--store", store]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let pushed = try runLgreg(["push", "aux", "\(registry.host)/team/aux", "--plain-http", "--store", store])
        try #require(pushed.status == 0, "\(pushed.summary)")
        #expect(pushed.out.trimmingCharacters(in: .whitespacesAndNewlines) == digest)
        return digest
    }

    static func missingTool(_ name: String) -> String? {
        let found = try? runProcess("sh", ["-c", "command -v \(name)"])
        return found?.status == 0 ? nil : "\(name) is not installed (scripts/setup.sh installs it)"
    }

    @Test func skopeoCopiesAnLgregPushKeepingItsDigestAndBack() throws {
        if let reason = RegistryServer.missing ?? Self.missingTool("skopeo") {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let store = temporary.path("store")
        let digest = try publishedAndPushed(to: registry, store: store)
        // Registry → OCI layout: the manifest keeps its digest.
        let layout = temporary.path("layout")
        let copied = try runProcess(
            "skopeo",
            ["copy", "--src-tls-verify=false", "docker://\(registry.host)/team/aux:0.1.0", "oci:\(layout):0.1.0"])
        try #require(copied.status == 0, "\(copied.summary)")
        let index = try String(contentsOfFile: layout + "/index.json", encoding: .utf8)
        #expect(index.contains(digest), "skopeo's copy names \(digest): \(index.prefix(400))")
        // lgreg's store is an OCI layout: skopeo copies it to the registry, lgreg pulls it back and verifies it.
        let toRegistry = try runProcess(
            "skopeo",
            [
                "copy", "--dest-tls-verify=false", "oci:\(store):aux:0.1.0",
                "docker://\(registry.host)/team/via-skopeo:1",
            ])
        try #require(toRegistry.status == 0, "\(toRegistry.summary)")
        let clean = temporary.path("clean")
        let verified = try runLgreg([
            "verify", "\(registry.host)/team/via-skopeo@\(digest)", "--plain-http", "--store", clean,
        ])
        let local = try runLgreg(["verify", "aux", "--store", store])
        #expect(verified.status == local.status && verified.out.contains(digest), "\(verified.summary)")
        #expect(try runLgreg(["fsck", "--store", clean]).status == 0)
    }

    @Test func orasPullsAnLgregPushAndItsFilesHashAsTheManifestSays() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let hasORAS = try runProcess("python3", ["-c", "import oras.client"])
        if hasORAS.status != 0 {
            print("skipped: Python's oras package is not installed (scripts/requirements-test.txt)")
            return
        }
        let registry = try RegistryServer()
        let store = temporary.path("store")
        let digest = try publishedAndPushed(to: registry, store: store)
        let out = temporary.path("oras")
        let script = """
            import hashlib, json, os, sys, oras.client
            client = oras.client.OrasClient(hostname=sys.argv[1], insecure=True)
            files = client.pull(target=sys.argv[2], outdir=sys.argv[3])
            print(json.dumps({os.path.relpath(f, sys.argv[3]): "sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files}))
            """
        let pulled = try runProcess("python3", ["-c", script, registry.host, "\(registry.host)/team/aux:0.1.0", out])
        try #require(pulled.status == 0, "\(pulled.summary)")
        let hashes = try #require(
            try JSONSerialization.jsonObject(
                with: Data(pulled.out.split(separator: "\n").last.map(String.init)?.utf8 ?? "".utf8))
                as? [String: String])
        let manifest = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: store + "/blobs/sha256/" + digest.dropFirst(7))))
                as? [String: Any])
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(hashes.count == layers.count, "\(hashes.keys.sorted())")
        for layer in layers {
            let title = (layer["annotations"] as? [String: String])?["org.opencontainers.image.title"] ?? "?"
            #expect(
                hashes[title] == layer["digest"] as? String,
                "\(title): ORAS's file hashes to \(hashes[title] ?? "nothing")")
        }
    }
}
