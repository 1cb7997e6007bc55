import Foundation
import LgregCore
import LgregTestSupport
import Testing

/// What the store survives (issue 10): a lost or corrupt index.json, flipped bytes, quarantined blobs, tag
/// conflicts, concurrent writers, killed writers, a full disk and a read-only mount. Each test runs the binary
/// as users do (`scripts/test.sh` points `runLgreg` at the release build) and fails on the code before the fix.
@Suite struct StoreRecoveryTests {
    let folder: TemporaryDirectory
    let store: String

    init() throws {
        folder = try TemporaryDirectory("lgreg-recovery")
        store = folder.path("store")
    }

    /// `lgreg init` of a small random learngene (fmnist-tiny, schedule 1,2,1); returns its path.
    func archive(_ name: String, seed: Int = 0) throws -> String {
        let path = folder.path("\(name)-\(seed).lgz")
        let made = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "1,2,1", "--random", "--seed", "\(seed)", "--name", name,
            "-o", path,
        ])
        #expect(made.status == 0, "\(made.summary)")
        return path
    }

    /// Runs lgreg on the test's store and expects `status`.
    @discardableResult
    func lgreg(
        _ arguments: [String], in root: String? = nil, expect status: Int32, _ note: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ProcessOutput {
        // Run in the test's folder: a `--store ''` that the binary took for the working directory would make its
        // store there, not in the repository.
        let result = try runLgreg(arguments + ["--store", root ?? store], directory: folder.url)
        #expect(
            !result.signaled && result.status == status,
            "\(arguments.joined(separator: " ")) \(note)\n\(result.summary)", sourceLocation: sourceLocation)
        return result
    }

    /// The published learngene's blobs: manifest digest, config and layer blob files (from `show --json`).
    func blobs(of reference: String, in root: String? = nil) throws -> (manifest: String, layers: [URL]) {
        let shown = try lgreg(["show", reference, "--json"], in: root, expect: 0)
        let show =
            try #require(try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as? [String: Any])["show"]
            as! [String: Any]
        let directory = URL(fileURLWithPath: root ?? store).appendingPathComponent("blobs/sha256")
        let layers = (show["blobs"] as! [[String: Any]]).map {
            directory.appendingPathComponent(String(($0["digest"] as! String).dropFirst(7)))
        }
        return (show["digest"] as! String, layers)
    }

    func configBlob(of manifest: String, in root: String? = nil) throws -> URL {
        let directory = URL(fileURLWithPath: root ?? store).appendingPathComponent("blobs/sha256")
        let image =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent(String(manifest.dropFirst(7)))))
            as! [String: Any]
        return directory.appendingPathComponent(
            String(((image["config"] as! [String: Any])["digest"] as! String).dropFirst(7)))
    }

    func blobNames(_ root: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (root ?? store) + "/blobs/sha256").sorted()
    }

    /// Flips one byte in the middle of a file, keeping its size.
    func flipByte(_ url: URL) throws {
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: url)
    }

    // MARK: 1. A lost or corrupt index.json

    /// Lost index.json: fsck reports the learngene as dangling and exits 1, gc deletes nothing, fsck
    /// --rebuild-index brings the tag back (and the Des-Net's).
    @Test func aLostIndexIsRebuiltFromTheManifests() throws {
        try lgreg(["publish", try archive("alpha")], expect: 0)
        try lgreg(["materialize", "alpha", "--depth", "5", "--tag", "alpha-d5:1"], expect: 0)
        let before = try blobNames()
        try FileManager.default.removeItem(atPath: store + "/index.json")
        let fsck = try lgreg(["fsck"], expect: 1, "a missing index.json is damage")
        #expect(fsck.out.contains("index.json") && fsck.out.contains("--rebuild-index"))
        #expect(fsck.out.contains("dangling learngene sha256:") && fsck.out.contains("(alpha:0.1.0)"))
        let gc = try lgreg(["gc", "--grace", "0"], expect: 1, "gc sweeps nothing without an index")
        #expect(gc.err.contains("index.json: is missing; `lgreg fsck --rebuild-index` rebuilds it"))
        #expect(try blobNames() == before)
        let rebuilt = try lgreg(["fsck", "--rebuild-index"], expect: 0)
        #expect(rebuilt.out.contains("restored tag alpha:0.1.0") && rebuilt.out.contains("restored tag alpha-d5:1"))
        let list = try lgreg(["list", "--json"], expect: 0)
        #expect(list.out.contains("\"reference\" : \"alpha:0.1.0\""))
        #expect(
            try lgreg(["show", "alpha", "--json"], expect: 0).out.contains("\"depth\" : 5"),
            "the Des-Net's materialization is back")
    }

    /// A corrupt index.json (invalid JSON, 0 bytes) gives every command a clear error naming the file and the
    /// fix, with exit 1; `fsck --rebuild-index` itself repairs it.
    @Test(arguments: ["{\"schemaVersion\": 2, \"manifests\": [", ""])
    func aCorruptIndexNamesTheFileAndTheFix(content: String) throws {
        let path = try archive("beta")
        try lgreg(["publish", path], expect: 0)
        try Data(content.utf8).write(to: URL(fileURLWithPath: store + "/index.json"))
        for command in [
            ["list"], ["show", "beta"], ["publish", path], ["tag", "beta", "beta:2"], ["rm", "beta"], ["gc"],
            ["export", "beta", "-o", folder.path("x.lgz")], ["fsck"],
        ] {
            let result = try lgreg(command, expect: 1)
            let said = result.err + result.out  // fsck reports it among its findings, on stdout
            #expect(
                said.contains("\(store)/index.json: ") && said.contains("`lgreg fsck --rebuild-index`"),
                "\(command)\n\(result.summary)")
            #expect(!result.err.contains("DecodingError") || result.err.count < 600)
        }
        try lgreg(["fsck", "--rebuild-index"], expect: 0)
        #expect(try lgreg(["list", "--json"], expect: 0).out.contains("beta:0.1.0"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: store + "/.lgreg/quarantine")
        #expect(content.isEmpty || aside.contains { $0.hasPrefix("index.json.") }, "the corrupt index is kept aside")
    }

    /// rm leaves a learngene dangling, and gc keeps it (even with no grace) until --prune-dangling.
    @Test func gcKeepsDanglingLearngenesUnlessPruned() throws {
        try lgreg(["publish", try archive("gamma")], expect: 0)
        let stored = try blobNames()
        let digest = try blobs(of: "gamma").manifest
        try lgreg(["rm", "gamma"], expect: 0)
        let kept = try lgreg(["gc", "--grace", "0", "--json"], expect: 0)
        #expect(kept.out.contains("\"danglingKept\" : 1"))
        #expect(try validateJSON(kept.out, against: "store-output.schema.json").status == 0)
        #expect(try blobNames() == stored)
        #expect(try lgreg(["fsck"], expect: 0).out.contains("dangling learngene \(digest) (gamma:0.1.0)"))
        try lgreg(["tag", digest, "gamma:0.1.0"], expect: 0, "a dangling learngene is tagged again by its full digest")
        try lgreg(["rm", "gamma"], expect: 0)
        try lgreg(["gc", "--grace", "0", "--prune-dangling"], expect: 0)
        #expect(try blobNames().isEmpty)
    }

    /// --grace is parsed with bounds: no trap on inf or 1e308, a usage error instead; units accepted.
    @Test func gcGraceIsBounded() throws {
        try lgreg(["publish", try archive("delta")], expect: 0)
        for bad in ["inf", "1e308", "-1", "nan", "7x"] { try lgreg(["gc", "--grace", bad], expect: 64, bad) }
        #expect(try lgreg(["gc", "--grace", "7d"], expect: 0).out.contains("younger than 7d"))
        #expect(try lgreg(["gc"], expect: 0).out.contains("younger than 7d"), "the default grace is a week")
    }

    // MARK: 2. Digests checked on every read of tensor bytes

    /// A flipped byte in a layer blob: materialize --output, export and show fail naming the blob, and no
    /// Des-Net is recorded. The check is not fooled by a restored mtime (ctime changes).
    @Test func aFlippedByteIsCaughtBeforeTheBytesAreUsed() throws {
        try lgreg(["publish", try archive("eps")], expect: 0)
        try lgreg(
            ["materialize", "eps", "--depth", "4", "--output", folder.path("ok")], expect: 0,
            "an intact learngene materializes")
        let (_, layers) = try blobs(of: "eps")
        let victim = layers[2]
        let modified = try FileManager.default.attributesOfItem(atPath: victim.path)[.modificationDate] as! Date
        try flipByte(victim)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: victim.path)
        let hex = victim.lastPathComponent
        let materialized = try runLgreg([
            "materialize", "eps", "--depth", "4", "--output", folder.path("bad"), "--tag", "eps-d4:1", "--store", store,
        ])
        #expect(
            materialized.status == 1 && materialized.err.contains(hex)
                && materialized.err.contains("content hashes to sha256:"), "\(materialized.summary)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("bad") + "/model.safetensors"))
        let exported = try lgreg(["export", "eps", "-o", folder.path("e.lgz")], expect: 1)
        #expect(exported.err.contains(hex))
        let shown = try lgreg(["show", "eps"], expect: 1)
        #expect(shown.out.contains("integrity:   DAMAGED (1 blob(s))") && shown.err.contains(hex))
        let json = try lgreg(["show", "eps", "--json"], expect: 1)
        #expect(
            !json.out.contains("\"eps-d4:1\""),
            "nothing recorded under the refused tag (show lists the Des-Nets derived from it)")
        #expect(try validateJSON(json.out, against: "store-output.schema.json").status == 0)
        #expect(!(try lgreg(["list", "--json"], expect: 0).out.contains("eps-d4")))
    }

    // MARK: 3. Damage shown, and repaired by publishing again

    /// fsck quarantines a damaged config blob: list then shows the entry as damaged (exit 1); publishing the
    /// same archive again restores it.
    @Test func aQuarantinedConfigIsListedAsDamagedAndRepublishingRestoresIt() throws {
        let path = try archive("zeta")
        try lgreg(["publish", path], expect: 0)
        let (manifest, _) = try blobs(of: "zeta")
        try flipByte(try configBlob(of: manifest))
        try lgreg(["fsck"], expect: 1)
        let list = try lgreg(["list"], expect: 1)
        #expect(list.out.contains("zeta:0.1.0") && list.out.contains("DAMAGED"))
        #expect(list.err.contains("warning: zeta:0.1.0 is damaged"))
        let json = try lgreg(["list", "--json"], expect: 1)
        #expect(try validateJSON(json.out, against: "store-output.schema.json").status == 0)
        let again = try lgreg(["publish", path, "--json"], expect: 0)
        #expect(again.out.contains("\"alreadyPublished\" : false"))
        try lgreg(["fsck"], expect: 0, "the store is whole again")
        try lgreg(["list"], expect: 0)
    }

    /// Issue 27 case 7: a tag whose manifest blob is gone (fsck quarantined it as damaged) made list, show of every
    /// entry and rm of that tag fail with "NOT NULL constraint failed". It is listed as DAMAGED, the other
    /// entries keep working, rm removes it, and `fsck --rebuild-index` drops it.
    @Test(arguments: ["rm", "fsck --rebuild-index"])
    func aDanglingTagBreaksOnlyItself(repair: String) throws {
        try lgreg(["publish", try archive("sigma")], expect: 0)
        try lgreg(["publish", try archive("tau", seed: 1)], expect: 0)
        let sigma = try blobs(of: "sigma").manifest
        try flipByte(URL(fileURLWithPath: store + "/blobs/sha256/" + sigma.dropFirst(7)))
        try lgreg(["fsck"], expect: 1, "quarantines the manifest")
        let list = try lgreg(["list"], expect: 1)
        #expect(
            list.out.contains("sigma:0.1.0") && list.out.contains("DAMAGED") && list.out.contains("tau:0.1.0"),
            "\(list.summary)")
        #expect(!(list.out + list.err).contains("constraint"), "\(list.summary)")
        try lgreg(["show", "tau"], expect: 0)
        try lgreg(["list", "--json"], expect: 1)
        if repair == "rm" {
            try lgreg(["rm", "sigma:0.1.0"], expect: 0)
        } else {
            let fsck = try lgreg(["fsck", "--rebuild-index"], expect: 1, "reports the tag it removed")
            #expect(fsck.out.contains("tag sigma:0.1.0") && fsck.out.contains("the tag was removed"), "\(fsck.summary)")
        }
        let after = try lgreg(["list"], expect: 0)
        #expect(!after.out.contains("sigma") && after.out.contains("tau:0.1.0"), "\(after.summary)")
        try lgreg(["show", "tau"], expect: 0)
        try lgreg(["fsck"], expect: 0)
    }

    /// A quarantined layer blob is written back by publishing the same archive (it used to say "already
    /// published" and restore nothing).
    @Test func republishingRestoresAQuarantinedLayer() throws {
        let path = try archive("eta")
        try lgreg(["publish", path], expect: 0)
        let (_, layers) = try blobs(of: "eta")
        try flipByte(layers[1])
        try lgreg(["fsck"], expect: 1)
        #expect(!FileManager.default.fileExists(atPath: layers[1].path))
        #expect(try lgreg(["list"], expect: 1).err.contains("1 blob(s) missing"))
        try lgreg(["publish", path], expect: 0)
        #expect(FileManager.default.fileExists(atPath: layers[1].path))
        try lgreg(["fsck"], expect: 0)
    }

    /// A tag repointed by hand at another learngene's manifest fails fsck.
    @Test func fsckCatchesATagRepointedByHand() throws {
        try lgreg(["publish", try archive("theta")], expect: 0)
        try lgreg(["publish", try archive("iota", seed: 1)], expect: 0)
        let theta = try blobs(of: "theta").manifest
        let iota = try blobs(of: "iota").manifest
        let index = URL(fileURLWithPath: store + "/index.json")
        let text = try String(contentsOf: index, encoding: .utf8)
        // Point theta's tag at iota's manifest (same size field is left; only the digest changes).
        var json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        var manifests = json["manifests"] as! [[String: Any]]
        for i in manifests.indices where manifests[i]["digest"] as? String == theta { manifests[i]["digest"] = iota }
        json["manifests"] = manifests
        try JSONSerialization.data(withJSONObject: json).write(to: index)
        let fsck = try lgreg(["fsck"], expect: 1)
        #expect(
            fsck.out.contains("tag theta:0.1.0") && fsck.out.contains("made for org.lgreg.name 'theta'")
                && fsck.out.contains("'iota'"))
    }

    /// fsck does not stop at the first problem: a folder where a blob should be and a flipped blob are both
    /// reported (and quarantined).
    @Test func fsckReportsEveryProblem() throws {
        try lgreg(["publish", try archive("kappa")], expect: 0)
        let (_, layers) = try blobs(of: "kappa")
        try FileManager.default.removeItem(at: layers[0])
        try FileManager.default.createDirectory(at: layers[0], withIntermediateDirectories: false)
        try flipByte(layers[3])
        let fsck = try lgreg(["fsck", "--json"], expect: 1)
        #expect(try validateJSON(fsck.out, against: "store-output.schema.json").status == 0)
        let report =
            try #require(try JSONSerialization.jsonObject(with: Data(fsck.out.utf8)) as? [String: Any])["fsck"]
            as! [String: Any]
        let subjects = (report["problems"] as! [[String: Any]]).map { $0["subject"] as! String }
        #expect(
            subjects.contains(layers[0].path) && subjects.contains(layers[3].path)
                && subjects.contains { $0.hasPrefix("tag kappa:0.1.0") },
            "\(subjects)")
        #expect(report["blobsChecked"] as? Int == 5, "the other blobs were still checked")
    }

    // MARK: 4. Only writing commands create a store, only where it may

    @Test func onlyWritersCreateAStoreAndOnlyInAnEmptyFolder() throws {
        let path = try archive("lambda")
        let missing = folder.path("missing")
        let list = try lgreg(["list"], in: missing, expect: 0, "a missing store lists nothing")
        #expect(list.out.isEmpty || !list.out.contains("lambda"))
        let shown = try lgreg(["show", "lambda"], in: missing, expect: 64)
        #expect(shown.err.contains("no store here"))
        for reader in [["fsck"], ["export", "lambda", "-o", folder.path("x.lgz")], ["gc"]] {
            try lgreg(reader, in: missing, expect: 64, "\(reader)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "no reader created the store")
        try lgreg(["list"], in: "", expect: 64, "--store '' is refused")
        try lgreg(["publish", path], in: "", expect: 64, "--store '' is refused")
        #expect(!FileManager.default.fileExists(atPath: folder.path("oci-layout")), "no store in the working directory")
        let busy = folder.path("busy")
        try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: busy + "/notes.txt"))
        let refused = try lgreg(["publish", path], in: busy, expect: 64)
        #expect(refused.err.contains("not an lgreg store") && refused.err.contains("notes.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: busy) == ["notes.txt"])
        let first = try lgreg(["publish", path], expect: 0)
        #expect(first.err.components(separatedBy: "created store at \(store)").count == 2, "said once: \(first.err)")
        #expect(!(try lgreg(["publish", path], expect: 0).err.contains("created store")))
    }

    /// export never replaces what is not a regular file (it replaced /dev/full once).
    @Test func exportRefusesToReplaceAFIFO() throws {
        try lgreg(["publish", try archive("chi")], expect: 0)
        let fifo = folder.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let refused = try lgreg(["export", "chi", "-o", fifo], expect: 64)
        #expect(refused.err.contains("not a regular file"))
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    }

    // MARK: 5. Decide before writing

    /// A publish refused for a tag conflict adds no blob.
    @Test func aTagConflictAddsNoBlob() throws {
        try lgreg(["publish", try archive("mu"), "--tag", "t:1"], expect: 0)
        let before = try blobNames()
        let conflict = try lgreg(["publish", try archive("nu", seed: 3), "--tag", "t:1"], expect: 1)
        #expect(conflict.err.contains("tag 't:1' already points at"))
        #expect(try blobNames() == before)
    }

    // MARK: 6. Every writer takes the lock; dead writers' staging is cleaned up

    /// rm running beside `gc --grace 0` never loses its index.json temp file (it did 33 times in 200).
    @Test func rmAndGCAtOnceBothSucceed() throws {
        try lgreg(["publish", try archive("xi")], expect: 0)
        for round in 0..<24 {
            try lgreg(["tag", "xi", "xi:r\(round)"], expect: 0)
            let processes = try [["rm", "xi:r\(round)"], ["gc", "--grace", "0"]].map { arguments -> Process in
                let process = Process()
                process.executableURL = lgregBinary
                process.arguments = arguments + ["--store", store]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                return process
            }
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == [0, 0], "round \(round)")
        }
        #expect(try lgreg(["list", "--json"], expect: 0).out.components(separatedBy: "\"reference\"").count == 2)
        try lgreg(["fsck"], expect: 0)
    }

    /// A publish killed after staging leaves its files in .lgreg/tmp; the next writing run removes them, and
    /// never an entry whose owner still runs.
    @Test func aDeadWritersStagingIsRemovedAtTheNextWrite() throws {
        let path = try archive("omicron")
        try lgreg(["publish", path, "--tag", "o:1"], expect: 0)
        let killed = try runLgreg(
            ["publish", path, "--tag", "o:2", "--store", store], environment: CrashPoint.staged.environment)
        #expect(killed.status == CrashPoint.exitStatus)
        let tmp = store + "/.lgreg/tmp"
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: tmp).contains { $0.hasPrefix(".publish.lgreg-tmp-") },
            "the killed run left its staging")
        // An entry owned by this (live) test process must survive.
        let live = ".publish.lgreg-tmp-\(getpid())-0123abcd"
        try FileManager.default.createDirectory(atPath: tmp + "/" + live, withIntermediateDirectories: false)
        try lgreg(["tag", "o:1", "o:3"], expect: 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == [live])
    }

    // MARK: 7, 8. A full disk and a read-only store (tmpfs mounts; CI runs as root)

    /// Mounts a tmpfs of `size` at a new folder, runs `body`, unmounts.
    func withTmpfs(_ size: String, _ body: (String) throws -> Void) throws {
        let mountPoint = folder.path("mnt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        let mounted = try runProcess("mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount -t tmpfs refused: \(mounted.summary)")
        defer { _ = try? runProcess("umount", ["-l", mountPoint]) }
        try body(mountPoint)
    }

    /// On a full disk a publish fails with 74 naming the cause, the store unchanged; list, show and fsck work.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root")) func aFullDiskIsAnIOErrorAndReadersStillWork()
        throws
    {
        let a = try archive("pi")
        let b = try archive("rho", seed: 5)
        try withTmpfs("3m") { root in
            let store = root + "/store"
            try lgreg(["publish", a], in: store, expect: 0)
            _ = try runProcess("dd", ["if=/dev/zero", "of=\(root)/filler", "bs=64k"])
            let before = try blobNames(store)
            let full = try lgreg(["publish", b], in: store, expect: 74)
            #expect(full.err.contains("No space left on device") || full.err.contains("no space left on device"))
            #expect(try blobNames(store) == before)
            try lgreg(["list"], in: store, expect: 0)
            try lgreg(["show", "pi"], in: store, expect: 0)
            try lgreg(["fsck"], in: store, expect: 0)
            try FileManager.default.removeItem(atPath: root + "/filler")
            try lgreg(["publish", b], in: store, expect: 0)
        }
    }

    /// The database is a cache behind the index.json commit: when it cannot be written the publish still
    /// succeeds, with a warning, and the next reader sees the learngene.
    @Test func aDatabaseThatCannotBeWrittenIsAWarning() throws {
        try lgreg(["publish", try archive("sigma")], expect: 0)
        let database = store + "/.lgreg/index.db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: false)
        let published = try lgreg(["publish", try archive("tau", seed: 2)], expect: 0)
        #expect(published.err.contains("warning:"))
        #expect(try lgreg(["list", "--json"], expect: 0).out.contains("tau:0.1.0"))
    }

    /// A read-only store can be listed, shown, verified and exported from; writers get 74.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root")) func aReadOnlyStoreServesReaders() throws {
        let a = try archive("upsilon")
        try withTmpfs("8m") { root in
            let store = root + "/store"
            try lgreg(["publish", a], in: store, expect: 0)
            let remounted = try runProcess("mount", ["-o", "remount,ro", root])
            try #require(remounted.status == 0, "\(remounted.summary)")
            #expect(try lgreg(["list"], in: store, expect: 0).out.contains("upsilon:0.1.0"))
            try lgreg(["show", "upsilon"], in: store, expect: 0)
            try lgreg(["export", "upsilon", "-o", folder.path("ro.lgz")], in: store, expect: 0)
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: folder.path("ro.lgz")))
                    == Data(contentsOf: URL(fileURLWithPath: a)))
            let verified = try runLgreg(["verify", "upsilon", "--store", store])
            #expect(
                !verified.signaled && verified.status != 74 && !verified.err.contains("Read-only"),
                "\(verified.summary)")
            let refused = try lgreg(["publish", try archive("phi", seed: 4)], in: store, expect: 74)
            #expect(refused.err.contains("Read-only file system"))
        }
    }
}
