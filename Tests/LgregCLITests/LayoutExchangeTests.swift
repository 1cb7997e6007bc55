import Foundation
import LgregTestSupport
import Testing

/// `lgreg push … oci:DIR` and `lgreg pull oci:DIR[:TAG]`: a learngene with its Des-Net and tuned Des-Net, and a
/// scratch model with no learngene, carried through an OCI image layout folder into a fresh store with the same
/// digests and the same re-measured accuracy; blobs shared between entries written once; a learngene fetched from
/// the folder when a derived entry needs it; and a damaged folder (a flipped byte, a truncated blob, a broken
/// index, no oci-layout) refused with exit 65 while the store keeps nothing of it.
@Suite(.serialized) struct LayoutExchangeTests {
    let training = ["--epochs", "1", "--batch", "32", "--train-limit", "32", "--eval-limit", "64"]

    func json(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "not a JSON object: \(text.prefix(300))")
    }

    /// `tag → digest` of `lgreg list --all --json`.
    func listed(_ store: String) throws -> [String: String] {
        let list = try runLgreg(["list", "--all", "--store", store, "--json"])
        #expect(list.status == 0, "\(list.summary)")
        let entries = try json(list.out)["list"] as? [[String: Any]] ?? []
        return Dictionary(
            uniqueKeysWithValues: entries.map { ($0["reference"] as? String ?? "", $0["digest"] as? String ?? "") })
    }

    /// `reference → measured top-1` of every result `verify --all` re-measured.
    func measured(_ store: String) throws -> [String: Double] {
        let verify = try runLgreg(["verify", "--all", "--store", store, "--json"])
        #expect(verify.status == 0, "\(verify.summary)")
        var figures: [String: Double] = [:]
        for verdict in try json(verify.out)["learngenes"] as? [[String: Any]] ?? [] {
            for check in verdict["checks"] as? [[String: Any]] ?? [] where check["check"] as? String == "result" {
                if let value = check["measuredTop1"] as? Double {
                    figures[verdict["reference"] as? String ?? ""] = value
                }
            }
        }
        return figures
    }

    /// A store holding aux:1 (random, 2 layers), its depth-4 Des-Net, a tuned depth-3 Des-Net and a scratch model.
    func makeSource(_ folder: TemporaryDirectory) throws -> String {
        let store = folder.path("source")
        let archive = folder.path("aux.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "2,1", "--random", "--name", "aux",
                "--learngene-version", "1",
                "--output", archive,
            ]).status == 0)
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)
        #expect(try runLgreg(["materialize", "aux", "--depth", "4", "--store", store]).status == 0)
        let tuned = try runLgreg(
            [
                "finetune", "aux", "--depth", "3", "--tag", "aux-d3:ft1", "--store", store, "--work-dir",
                folder.path("tune"),
            ] + training)
        #expect(tuned.status == 0, "\(tuned.summary)")
        let scratch = try runLgreg(
            [
                "finetune", "--scratch", "--arch", "fmnist-tiny", "--depth", "2", "--store", store, "--work-dir",
                folder.path("scratch"),
            ] + training)
        #expect(scratch.status == 0, "\(scratch.summary)")
        return store
    }

    @Test func entriesTravelThroughALayoutFolderUnchanged() throws {
        let folder = try TemporaryDirectory("lgreg-layout")
        let source = try makeSource(folder)
        let layout = folder.path("zoo")
        let push = try runLgreg(["push", "aux:1", "oci:\(layout)", "--with-referrers", "--store", source, "--json"])
        #expect(push.status == 0, "\(push.summary)")
        #expect(try validateJSON(push.out, against: "remote-output.schema.json").status == 0, "\(push.out.prefix(400))")
        let pushed = try #require(try json(push.out)["layout"] as? [String: Any])
        #expect((pushed["entries"] as? [[String: Any]])?.count == 3, "\(pushed)")
        let scratch = try runLgreg(["push", "scratch-fmnist-tiny-d2:s0-ft1", "oci:\(layout)", "--store", source])
        #expect(scratch.status == 0 && scratch.out.hasSuffix("  scratch-fmnist-tiny-d2:s0-ft1\n"), "\(scratch.summary)")

        // Every blob one file: the Des-Net's layers are the learngene's, so the folder holds the union, once.
        let sourceBlobs = Set(try FileManager.default.contentsOfDirectory(atPath: source + "/blobs/sha256"))
        let layoutBlobs = Set(try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256"))
        #expect(
            layoutBlobs.isSubset(of: sourceBlobs) && !layoutBlobs.isEmpty, "\(layoutBlobs.subtracting(sourceBlobs))")
        // A second push copies nothing.
        let again = try runLgreg(["push", "aux:1", "oci:\(layout)", "--with-referrers", "--store", source, "--json"])
        #expect(
            try json(again.out)["layout"].flatMap { ($0 as? [String: Any])?["copiedBlobs"] as? Int } == 0,
            "\(again.summary)")

        // Into a fresh store: the same tags and digests, and verify re-measures the same figures.
        let fresh = folder.path("fresh")
        let pull = try runLgreg(["pull", "oci:\(layout)", "--store", fresh, "--json"])
        #expect(pull.status == 0, "\(pull.summary)")
        #expect(try validateJSON(pull.out, against: "remote-output.schema.json").status == 0, "\(pull.out.prefix(400))")
        let sourceEntries = try listed(source)
        let freshEntries = try listed(fresh)
        #expect(freshEntries == sourceEntries, "\(freshEntries) against \(sourceEntries)")
        #expect(try measured(fresh) == measured(source))
        #expect(try runLgreg(["fsck", "--store", fresh]).status == 0)

        // One tuned entry on its own: the learngene it derives from comes from the folder with it.
        let single = folder.path("single")
        let one = try runLgreg(["pull", "oci:\(layout):aux-d3:ft1", "--store", single])
        #expect(one.status == 0, "\(one.summary)")
        #expect(try listed(single) == sourceEntries.filter { $0.key == "aux:1" || $0.key == "aux-d3:ft1" })
    }

    @Test func aDerivedEntryWithoutItsLearngeneIsRefusedUpFront() throws {
        let folder = try TemporaryDirectory("lgreg-layout-base")
        let source = try makeSource(folder)
        let layout = folder.path("tuned-only")
        #expect(try runLgreg(["push", "aux-d3:ft1", "oci:\(layout)", "--store", source]).status == 0)
        let store = folder.path("store")
        let pull = try runLgreg(["pull", "oci:\(layout)", "--store", store])
        #expect(
            pull.status == 64 && pull.err.contains("derives from learngene sha256:")
                && pull.err.contains("publish or pull that learngene first"), "\(pull.summary)")
        #expect(try listed(store).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256")) ?? []).isEmpty)
    }

    @Test func aDamagedFolderIsRefusedAndLeavesTheStoreAsItWas() throws {
        let folder = try TemporaryDirectory("lgreg-layout-damage")
        let source = try makeSource(folder)
        let good = folder.path("good")
        #expect(try runLgreg(["push", "scratch-fmnist-tiny-d2:s0-ft1", "oci:\(good)", "--store", source]).status == 0)
        let index = try json(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: good + "/index.json")), as: UTF8.self))
        let manifestDigest = try #require(
            ((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))
        let manifest = try json(
            String(
                decoding: try Data(contentsOf: URL(fileURLWithPath: "\(good)/blobs/sha256/\(manifestDigest)")),
                as: UTF8.self))
        let weights = try #require(
            ((manifest["layers"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))

        // Each damage in a copy of the folder: (what is done to it, what the error says).
        let damages: [(String, (String) throws -> Void, String)] = [
            (
                "a flipped byte",
                { root in
                    let url = URL(fileURLWithPath: "\(root)/blobs/sha256/\(weights)")
                    var bytes = try Data(contentsOf: url)
                    bytes[bytes.count / 2] ^= 0x40
                    try bytes.write(to: url)
                }, "content hashes to sha256:"
            ),
            (
                "a truncated blob",
                { root in
                    let url = URL(fileURLWithPath: "\(root)/blobs/sha256/\(weights)")
                    try Data(try Data(contentsOf: url).prefix(100)).write(to: url)
                }, "bytes where its manifest says"
            ),
            (
                "a broken index",
                { root in try Data("{\"manifests\": [".utf8).write(to: URL(fileURLWithPath: root + "/index.json")) },
                "index.json"
            ),
            (
                "no oci-layout", { root in try FileManager.default.removeItem(atPath: root + "/oci-layout") },
                "oci-layout"
            ),
        ]
        for (name, damage, message) in damages {
            let copy = folder.path("damaged-\(name.replacingOccurrences(of: " ", with: "-"))")
            try FileManager.default.copyItem(atPath: good, toPath: copy)
            try damage(copy)
            let store = folder.path("store-\(name.replacingOccurrences(of: " ", with: "-"))")
            let pull = try runLgreg(["pull", "oci:\(copy)", "--store", store])
            #expect(
                pull.status == 65 && pull.err.contains(copy) && pull.err.contains(message), "\(name): \(pull.summary)")
            #expect(try listed(store).isEmpty, "\(name)")
            let blobs = (try? FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256")) ?? []
            #expect(!blobs.contains(String(weights)), "\(name): the damaged blob entered the store")
        }

        // Push never writes into a folder that holds something other than a layout.
        let occupied = folder.path("occupied")
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: occupied + "/notes.txt"))
        let push = try runLgreg(["push", "scratch-fmnist-tiny-d2:s0-ft1", "oci:\(occupied)", "--store", source])
        #expect(push.status == 64 && push.err.contains("no oci-layout"), "\(push.summary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied) == ["notes.txt"])
    }
}
