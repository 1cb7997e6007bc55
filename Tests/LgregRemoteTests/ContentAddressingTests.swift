import Foundation
import LgregTestSupport
import Testing

/// A manifest digest names content only: the same `.lgz` published by two processes into two fresh stores, at
/// two different times, gets the same manifest digest, and so does the same Des-Net materialized from it. When
/// each store tagged it lives in its own `index.json`, not in the manifest.
@Suite struct ContentAddressingTests {
    @Test func theSameArchiveHasOneManifestDigestInEveryStore() throws {
        let folder = try TemporaryDirectory("lgreg-content-address")
        let archive = folder.path("aux.lgz")
        let made = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "aux", "-o", archive,
        ])
        try #require(made.status == 0, "\(made.summary)")
        var digests: [String] = []
        var desNets: [String] = []
        for store in ["one", "two"] {
            let published = try runLgreg(["publish", archive, "--store", folder.path(store)])
            try #require(published.status == 0, "\(published.summary)")
            digests.append(published.out.trimmingCharacters(in: .whitespacesAndNewlines))
            let materialized = try runLgreg([
                "materialize", "aux", "--depth", "6", "--json", "--store", folder.path(store),
            ])
            try #require(materialized.status == 0, "\(materialized.summary)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(materialized.out.utf8)) as? [String: Any])
            desNets.append(try #require(report["desNetDigest"] as? String, "\(report)"))
            Thread.sleep(forTimeInterval: 1.1)  // a publish time, were it in the manifest, would differ
        }
        #expect(digests[0].hasPrefix("sha256:") && digests[0] == digests[1], "\(digests)")
        #expect(desNets[0].hasPrefix("sha256:") && desNets[0] == desNets[1], "\(desNets)")
        // The manifest carries no time; index.json says when this store tagged it.
        let hex = digests[0].dropFirst("sha256:".count)
        let manifest = try String(contentsOfFile: folder.path("one/blobs/sha256/\(hex)"), encoding: .utf8)
        #expect(!manifest.contains("org.opencontainers.image.created"), "\(manifest.prefix(300))")
        let index = try String(contentsOfFile: folder.path("one/index.json"), encoding: .utf8)
        #expect(index.contains("org.opencontainers.image.created"))
        #expect(try validateJSON(index, against: "oci-image-index.schema.json").0 == 0)
        #expect(try validateJSON(manifest, against: "oci-learngene-manifest.schema.json").0 == 0)
        // fsck is clean, and a rebuilt index.json tags the same manifests.
        try FileManager.default.removeItem(atPath: folder.path("one/index.json"))
        let rebuilt = try runLgreg(["fsck", "--rebuild-index", "--store", folder.path("one")])
        #expect(rebuilt.status == 0, "\(rebuilt.summary)")
        let listed = try runLgreg(["show", "aux:0.1.0", "--json", "--store", folder.path("one")])
        #expect(listed.status == 0 && listed.out.contains(digests[0]), "\(listed.summary)")
    }
}
