import Foundation
import LgregCore
import LgregTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lgreg push`, `pull`, `list HOST/…`, `login` and `verify HOST/REPO@…` against a real registry (Debian's
/// docker-registry, CNCF distribution 2.8, started by the test on 127.0.0.1), run as a user runs them.
@Suite(.serialized) final class RemoteTests {
    let temporary: TemporaryDirectory

    init() throws {
        temporary = try TemporaryDirectory("lgreg-remote")
    }

    /// A random fmnist-tiny learngene (schedule 3,3,4,3,3: shared + 5 layers) published into `store`; its digest.
    func published(_ name: String, seed: Int = 1, store: String) throws -> String {
        let archive = temporary.path("\(name)-\(seed).lgz")
        if !FileManager.default.fileExists(atPath: archive) {
            let made = try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--seed", "\(seed)", "--name",
                name, "-o", archive,
            ])
            try #require(made.status == 0, "\(made.summary)")
        }
        let result = try runLgreg(["publish", archive, "--store", store])
        try #require(result.status == 0, "\(result.summary)")
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs lgreg and decodes its `--json` report body.
    func report(_ arguments: [String], _ name: String, environment: [String: String] = [:]) throws -> [String: Any] {
        let result = try runLgreg(arguments + ["--json"], environment: environment)
        try #require(result.status == 0, "\(arguments.prefix(2)): \(result.summary)")
        #expect(try validateJSON(result.out, against: "remote-output.schema.json").0 == 0, "\(result.out.prefix(400))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        return try #require(object[name] as? [String: Any], "\(object)")
    }

    func blobs(_ store: String) throws -> [String: Data] {
        let folder = store + "/blobs/sha256"
        return Dictionary(
            uniqueKeysWithValues: try FileManager.default.contentsOfDirectory(atPath: folder).map {
                ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
            })
    }

    @Test func pushAndPullRoundTripByteForByte() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let one = temporary.path("one")
        let two = temporary.path("two")
        let digest = try published("aux", store: one)
        let target = "\(registry.host)/team/aux"
        // Chunks of 64 KiB: the layers (about 450 kB) go up in PATCH chunks, the config in one PUT.
        let pushed = try report(
            ["push", "aux:0.1.0", target, "--chunk-size", "65536", "--store", one] + registry.lgregOptions, "push")
        #expect(pushed["digest"] as? String == digest)
        #expect(pushed["uploadedBlobs"] as? Int == 7, "config + shared + 5 layers: \(pushed)")
        let again = try report(["push", "aux:0.1.0", target, "--store", one] + registry.lgregOptions, "push")
        #expect(again["uploadedBlobs"] as? Int == 0 && again["presentBlobs"] as? Int == 7, "\(again)")
        #expect(again["digest"] as? String == digest)

        let pulled = try report(["pull", "\(target)@\(digest)", "--store", two] + registry.lgregOptions, "pull")
        #expect(pulled["digest"] as? String == digest && pulled["tag"] as? String == "aux:0.1.0", "\(pulled)")
        #expect(pulled["downloadedBlobs"] as? Int == 7)
        let (mine, theirs) = (try blobs(one), try blobs(two))
        #expect(theirs.count == 8, "manifest, config and 6 tensor files")
        for (name, bytes) in theirs { #expect(mine[name] == bytes, "blob \(name.prefix(12)) differs") }
        let shown = try runLgreg(["show", "aux:0.1.0", "--store", two])
        #expect(shown.status == 0 && shown.out.contains(String(digest.dropFirst(7).prefix(12))), "\(shown.summary)")
        #expect(try runLgreg(["fsck", "--store", two]).status == 0)
        // Pulled by tag into a third store under another tag.
        let three = temporary.path("three")
        let retagged = try report(
            ["pull", "\(target):0.1.0", "--tag", "mine:1", "--store", three] + registry.lgregOptions, "pull")
        #expect(retagged["digest"] as? String == digest && retagged["tag"] as? String == "mine:1")

        let tags = try report(["list", target, "--store", one] + registry.lgregOptions, "remote-list")
        #expect(tags["entries"] as? [String] == ["0.1.0"], "\(tags)")
        let catalog = try report(["list", "\(registry.host)/"] + registry.lgregOptions, "remote-list")
        #expect(catalog["entries"] as? [String] == ["team/aux"], "\(catalog)")
        let missing = try runLgreg(
            ["pull", "\(registry.host)/team/nothing:1", "--store", three] + registry.lgregOptions)
        #expect(missing.status == 64 && missing.err.contains("not found"), "\(missing.summary)")
    }

    /// Issue 24: a registry that speaks plain HTTP, asked over HTTPS (no --plain-http), is a usage error that names
    /// the fix (exit 64, not 75 "try again later"), and no message carries a build machine's source path.
    @Test func aPlainHTTPRegistryAskedOverHTTPSNamesPlainHTTP() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        for arguments in [
            ["list", "\(registry.host)/team/aux-t"],
            ["pull", "\(registry.host)/team/aux-t:1", "--store", temporary.path("s")],
        ] {
            let result = try runLgreg(arguments)
            #expect(result.status == 64, "\(arguments): \(result.summary)")
            #expect(
                result.err.contains("this registry speaks plain HTTP, not HTTPS: add --plain-http"), "\(result.summary)"
            )
            #expect(!result.err.contains("--ca-file") && !result.err.contains("BoringSSL"), "\(result.summary)")
            #expect(
                !result.err.contains(".build/") && !result.err.contains("checkouts") && !result.err.contains(".cc:"),
                "\(result.summary)")
        }
    }

    @Test func aSharedLayerIsUploadedOnceAndMountedAcrossRepositories() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let store = temporary.path("store")
        // Same seed, other name: the same six tensor files, another config.
        _ = try published("first", seed: 3, store: store)
        _ = try published("second", seed: 3, store: store)
        let first = try report(
            ["push", "first:0.1.0", "\(registry.host)/team/first", "--store", store] + registry.lgregOptions, "push")
        #expect(first["uploadedBlobs"] as? Int == 7)
        let same = try report(
            ["push", "second:0.1.0", "\(registry.host)/team/first:second", "--store", store] + registry.lgregOptions,
            "push")
        #expect(
            same["uploadedBlobs"] as? Int == 1 && same["presentBlobs"] as? Int == 6, "only the config is new: \(same)")
        let other = try report(
            ["push", "second:0.1.0", "\(registry.host)/team/second", "--store", store] + registry.lgregOptions, "push")
        #expect(
            other["uploadedBlobs"] as? Int == 0 && other["mountedBlobs"] as? Int == 7,
            "mounted from team/first: \(other)")
    }

    @Test func desNetsTravelAsReferrersThroughTheTagFallback() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let one = temporary.path("one")
        let two = temporary.path("two")
        let digest = try published("aux", store: one)
        let made = try runLgreg(["materialize", "aux", "--depth", "6", "--json", "--store", one])
        try #require(made.status == 0, "\(made.summary)")
        let desNet = try #require(
            (try JSONSerialization.jsonObject(with: Data(made.out.utf8)) as? [String: Any])?["desNetDigest"] as? String)
        let pushed = try report(
            ["push", "aux", "\(registry.host)/team/aux", "--with-referrers", "--store", one] + registry.lgregOptions,
            "push")
        #expect(
            pushed["referrers"] as? [String] == [desNet],
            "the stored Des-Net already names its learngene as subject: \(pushed)")
        let tags = try report(["list", "\(registry.host)/team/aux"] + registry.lgregOptions, "remote-list")
        #expect(
            tags["entries"] as? [String] == ["0.1.0", "sha256-" + digest.dropFirst(7)],
            "distribution 2.8 has no referrers API: \(tags)")
        let pulled = try report(
            ["pull", "\(registry.host)/team/aux@\(digest)", "--with-referrers", "--store", two] + registry.lgregOptions,
            "pull")
        let referrers = try #require(pulled["referrers"] as? [[String: Any]])
        #expect(
            referrers.first?["digest"] as? String == desNet
                && referrers.first?["tag"] as? String == "aux-d6:0.1.0-cyclic-front-mid-last", "\(pulled)")
        let plan = try runLgreg(["show", "aux", "--json", "--store", two])
        #expect(plan.status == 0 && plan.out.contains(desNet), "\(plan.summary)")
        #expect(try runLgreg(["fsck", "--store", two]).status == 0)
    }

    @Test func aRecordedVerificationReportTravelsAsAReferrer() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let one = temporary.path("one")
        let two = temporary.path("two")
        let digest = try published("aux", store: one)
        let verified = try runLgreg(["verify", "aux", "--record", "--json", "--store", one])
        try #require(verified.status == 0, "\(verified.summary)")
        let recorded = try #require(
            try entries(one).first { $0["reference"] as? String == "aux-verification:0.1.0" },
            "list --all shows the report")
        #expect(recorded["kind"] as? String == "verification", "\(recorded)")
        let manifestDigest = try #require(recorded["digest"] as? String)
        let manifestBytes = try #require(try blobs(one)[String(manifestDigest.dropFirst(7))])
        let (valid, message) = try validateJSON(
            String(decoding: manifestBytes, as: UTF8.self), against: "oci-verification-manifest.schema.json")
        #expect(valid == 0, "\(message)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestBytes) as? [String: Any])
        let subject = manifest["subject"] as? [String: Any]
        let config = manifest["config"] as? [String: Any]
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(
            manifest["artifactType"] as? String == "application/vnd.lgreg.verification.v1"
                && subject?["digest"] as? String == digest, "\(manifest)")
        #expect(
            config?["mediaType"] as? String == "application/vnd.oci.empty.v1+json" && config?["size"] as? Int == 2,
            "\(manifest)")
        #expect(
            layers.count == 1
                && layers.first?["mediaType"] as? String == "application/vnd.lgreg.verification.report.v1+json",
            "\(layers)")
        let layer = try #require(
            (layers.first?["digest"] as? String).flatMap { try blobs(one)[String($0.dropFirst(7))] })
        #expect(
            String(decoding: layer, as: UTF8.self) + "\n" == verified.out, "the layer is what verify --json printed")
        let pushed = try report(
            ["push", "aux", "\(registry.host)/team/aux", "--with-referrers", "--store", one] + registry.lgregOptions,
            "push")
        #expect(pushed["referrers"] as? [String] == [manifestDigest], "\(pushed)")
        let pulled = try report(
            ["pull", "\(registry.host)/team/aux@\(digest)", "--with-referrers", "--store", two] + registry.lgregOptions,
            "pull")
        let referrers = try #require(pulled["referrers"] as? [[String: Any]])
        #expect(
            referrers.count == 1 && referrers.first?["digest"] as? String == manifestDigest
                && referrers.first?["tag"] as? String == "aux-verification:0.1.0", "\(pulled)")
        let copied = try blobs(two)
        let original = try blobs(one)
        for key in [manifestDigest, layers.first?["digest"] as? String ?? ""].map({ String($0.dropFirst(7)) }) {
            #expect(copied[key] != nil && copied[key] == original[key], "blob \(key) arrives byte for byte")
        }
        #expect(
            try entries(two).contains {
                $0["reference"] as? String == "aux-verification:0.1.0" && $0["digest"] as? String == manifestDigest
            })
        #expect(try runLgreg(["gc", "--store", two]).status == 0)
        #expect(try runLgreg(["fsck", "--store", two]).status == 0, "gc keeps the report and its blobs")
        let removed = try runLgreg(["rm", "aux", "--with-derived", "--store", two])
        #expect(removed.status == 0 && removed.out.contains("removed aux-verification:0.1.0"), "\(removed.summary)")
    }

    /// `lgreg list --all --json`'s rows.
    func entries(_ store: String) throws -> [[String: Any]] {
        let listed = try runLgreg(["list", "--all", "--json", "--store", store])
        try #require(listed.status == 0, "\(listed.summary)")
        let object = try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [String: Any]
        return try #require(object?["list"] as? [[String: Any]], "\(listed.out.prefix(400))")
    }

    @Test func verifyByDigestPullsWhatIsMissingFirst() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let one = temporary.path("one")
        let clean = temporary.path("clean")
        let digest = try published("aux", store: one)
        _ = try report(["push", "aux", "\(registry.host)/team/aux", "--store", one] + registry.lgregOptions, "push")
        let local = try runLgreg(["verify", "aux", "--store", one])
        let remote = try runLgreg(
            ["verify", "\(registry.host)/team/aux@\(digest)", "--store", clean] + registry.lgregOptions)
        #expect(remote.status == local.status, "same verdict as on the publishing machine: \(remote.summary)")
        #expect(remote.out.contains(digest), "\(remote.summary)")
        let byTag = try runLgreg(
            ["verify", "\(registry.host)/team/aux:0.1.0", "--store", clean] + registry.lgregOptions)
        #expect(byTag.status == 64 && byTag.err.contains("by digest only"), "\(byTag.summary)")
    }

    @Test func aKilledPullOrPushCompletesWhenRunAgain() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer()
        let one = temporary.path("one")
        let two = temporary.path("two")
        let digest = try published("aux", store: one)
        let target = "\(registry.host)/team/aux"
        let killedPush = try runLgreg(
            ["push", "aux", target, "--store", one] + registry.lgregOptions,
            environment: CrashPoint.pushBlob.environment)
        #expect(killedPush.status == CrashPoint.exitStatus, "\(killedPush.summary)")
        let tagsBefore = try runLgreg(["list", target, "--json"] + registry.lgregOptions)
        #expect(tagsBefore.status == 64, "no tag until the manifest is pushed: \(tagsBefore.summary)")
        let pushed = try report(["push", "aux", target, "--store", one] + registry.lgregOptions, "push")
        #expect(pushed["presentBlobs"] as? Int == 1 && pushed["uploadedBlobs"] as? Int == 6, "\(pushed)")

        for step in [CrashPoint.pullHalfBlob, .pullBlobs] {
            let store = temporary.path("killed-\(step)")
            let killed = try runLgreg(
                ["pull", "\(target)@\(digest)", "--store", store] + registry.lgregOptions, environment: step.environment
            )
            #expect(killed.status == CrashPoint.exitStatus, "\(step): \(killed.summary)")
            let listed = try runLgreg(["list", "--json", "--store", store])
            #expect(
                listed.status == 0 && !listed.out.contains("aux"),
                "nothing listed after a kill at \(step): \(listed.summary)")
            let pulled = try report(["pull", "\(target)@\(digest)", "--store", store] + registry.lgregOptions, "pull")
            #expect(pulled["digest"] as? String == digest)
            if step == .pullHalfBlob {
                #expect(pulled["resumedBlobs"] as? Int == 1, "the half-downloaded blob resumed: \(pulled)")
            }
            if step == .pullBlobs { #expect(pulled["downloadedBlobs"] as? Int == 0, "every blob was in: \(pulled)") }
            let fsck = try runLgreg(["fsck", "--store", store])
            #expect(fsck.status == 0, "\(step): \(fsck.summary)")
        }
        _ = two
    }

    @Test func basicAuthOverTLSWithLoginAndAClearRefusal() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let registry = try RegistryServer(
            certificate: try TestCertificate(), auth: .basic(user: "ci", password: "s3cret-pass"))
        let store = temporary.path("store")
        let digest = try published("aux", store: store)
        let config = temporary.path("docker")
        let environment = ["DOCKER_CONFIG": config]
        let target = "\(registry.host)/team/aux"
        let tls = ["--ca-file", registry.caFile!]

        let anonymous = try runLgreg(["push", "aux", target, "--store", store] + tls, environment: environment)
        #expect(anonymous.status == 77 && anonymous.err.contains("lgreg login"), "\(anonymous.summary)")
        let untrusted = try runLgreg(["push", "aux", target, "--store", store], environment: environment)
        #expect(untrusted.status == 75 && untrusted.err.contains("--ca-file"), "\(untrusted.summary)")
        let wrong = try runLgreg(
            ["login", registry.host, "-u", "ci", "--password-stdin"] + tls, environment: environment,
            input: Data("wrong-guess\n".utf8))
        #expect(wrong.status == 77 && wrong.err.contains("refused the credentials"), "\(wrong.summary)")
        #expect(!(wrong.out + wrong.err).contains("wrong-guess"), "the password is never printed")
        #expect(
            !FileManager.default.fileExists(atPath: config + "/config.json"), "nothing stored for refused credentials")

        let login = try runLgreg(
            ["login", registry.host, "-u", "ci", "--password-stdin"] + tls, environment: environment,
            input: Data("s3cret-pass\n".utf8))
        #expect(login.status == 0, "\(login.summary)")
        #expect(!(login.out + login.err).contains("s3cret-pass"))
        let attributes = try FileManager.default.attributesOfItem(atPath: config + "/config.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config + "/config.json")))
                as? [String: Any])
        let auths = try #require(written["auths"] as? [String: [String: String]])
        #expect(
            auths[registry.host]?["auth"] == Data("ci:s3cret-pass".utf8).base64EncodedString(), "docker's own format")

        let pushed = try report(["push", "aux", target, "--store", store] + tls, "push", environment: environment)
        #expect(pushed["digest"] as? String == digest)
        let pulled = try report(
            ["pull", "\(target)@\(digest)", "--store", temporary.path("other")] + tls, "pull", environment: environment)
        #expect(pulled["digest"] as? String == digest)

        let logout = try runLgreg(["logout", registry.host], environment: environment)
        #expect(logout.status == 0, "\(logout.summary)")
        let after = try runLgreg(
            ["pull", "\(target)@\(digest)", "--store", temporary.path("third")] + tls, environment: environment)
        #expect(after.status == 77, "\(after.summary)")
    }

    @Test func bearerTokensFromTheRegistrysTokenServer() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let certificate = try TestCertificate()
        let requests = temporary.path("token-requests.jsonl")
        let tokens = try FixtureServer("token_server.py") {
            [
                "\($0)", certificate.cert, certificate.key, "lgreg-test-issuer", "lgreg-test", "robot", "t0ken-pass",
                requests,
            ]
        }
        let registry = try RegistryServer(
            certificate: certificate,
            auth: .token(
                realm: "https://127.0.0.1:\(tokens.port)/token", service: "lgreg-test",
                issuer: "lgreg-test-issuer", certificate: certificate))
        let store = temporary.path("store")
        let digest = try published("aux", store: store)
        let environment = ["DOCKER_CONFIG": temporary.path("docker")]
        let tls = ["--ca-file", certificate.cert]
        let target = "\(registry.host)/team/aux"

        let anonymous = try runLgreg(["push", "aux", target, "--store", store] + tls, environment: environment)
        #expect(
            anonymous.status == 77 && anonymous.err.contains("token server refused an anonymous request"),
            "\(anonymous.summary)")
        let wrong = try runLgreg(
            ["login", registry.host, "-u", "robot", "--password-stdin"] + tls, environment: environment,
            input: Data("nope-nope\n".utf8))
        #expect(wrong.status == 77 && !(wrong.out + wrong.err).contains("nope-nope"), "\(wrong.summary)")
        let login = try runLgreg(
            ["login", registry.host, "-u", "robot", "--password-stdin"] + tls, environment: environment,
            input: Data("t0ken-pass\n".utf8))
        #expect(login.status == 0, "\(login.summary)")
        let pushed = try runLgreg(["push", "aux", target, "--json", "--store", store] + tls, environment: environment)
        #expect(pushed.status == 0 && pushed.out.contains(digest), "\(pushed.summary)")
        #expect(!(pushed.out + pushed.err).contains("eyJ"), "no token is printed")
        let pulled = try runLgreg(
            ["pull", "\(target)@\(digest)", "--store", temporary.path("other")] + tls, environment: environment)
        #expect(pulled.status == 0, "\(pulled.summary)")
        // Tokens were asked for the scopes the requests need, and reused: a handful of token requests, not one per request.
        let asked = try String(contentsOfFile: requests, encoding: .utf8).split(separator: "\n")
        #expect(asked.contains { $0.contains("repository:team/aux:pull,push") }, "\(asked)")
        #expect(asked.count <= 8, "tokens are cached per scope: \(asked.count) token requests")
    }

    @Test func anUnreachableRegistryHasItsOwnExitCode() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let port = try RegistryServer.freePort()
        let result = try runLgreg([
            "pull", "127.0.0.1:\(port)/team/aux:1", "--plain-http", "--store", temporary.path("s"),
        ])
        #expect(result.status == 75 && result.err.contains("unreachable"), "\(result.summary)")
        let bad = try runLgreg(["pull", "127.0.0.1:\(port)/Team/aux:1", "--plain-http", "--store", temporary.path("s")])
        #expect(bad.status == 64, "\(bad.summary)")
    }
}

/// A real registry holding a learngene (team/aux), behind `Fixtures/lying_registry.py` in `mode`.
struct ProxiedRegistry {
    let temporary: TemporaryDirectory
    let registry: RegistryServer
    let proxy: FixtureServer
    /// The learngene's manifest digest.
    let digest: String
    /// `127.0.0.1:PORT` of the proxy.
    var host: String { "127.0.0.1:\(proxy.port)" }

    init(mode: String, log: String? = nil) throws {
        temporary = try TemporaryDirectory("lgreg-proxied")
        registry = try RegistryServer()
        let archive = temporary.path("aux.lgz")
        let publisher = temporary.path("publisher")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "aux", "-o",
                archive,
            ]).status == 0)
        digest = try runLgreg(["publish", archive, "--store", publisher]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(
            try runLgreg(["push", "aux", "\(registry.host)/team/aux", "--plain-http", "--store", publisher]).status == 0
        )
        let upstream = registry.port
        proxy = try FixtureServer("lying_registry.py") { ["\($0)", "\(upstream)", mode] + (log.map { [$0] } ?? []) }
    }
}

/// A registry that lies (a proxy in front of the real one, `Fixtures/lying_registry.py`): every lie is refused
/// with its own message and exit 65, and the store is left as it was; one that stops mid-blob leaves a pull that
/// resumes; one that redirects blobs to another host gets no credentials there.
@Suite(.serialized) final class LyingRegistryTests {
    @Test(arguments: [
        ("wrong-bytes", "hashes to"), ("wrong-size", "the manifest declares"), ("endless", "more than the"),
        ("huge-manifest", "4 MiB"), ("other-manifest", "not the digest asked for"),
    ])
    func aLieIsRefusedAndTheStoreUnchanged(mode: String, message: String) throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let liar = try ProxiedRegistry(mode: mode)
        // The store already holds another learngene; a refused pull must leave it byte-identical.
        let store = liar.temporary.path("store")
        let other = liar.temporary.path("other.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "1,1", "--random", "--name", "other", "-o", other,
            ]).status == 0)
        #expect(try runLgreg(["publish", other, "--store", store]).status == 0)
        let before = try snapshot(store)
        let result = try runLgreg(
            ["pull", "\(liar.host)/team/aux@\(liar.digest)", "--plain-http", "--store", store], timeout: 120)
        #expect(result.status == 65, "\(mode): \(result.summary)")
        #expect(result.err.contains("refused") && result.err.contains(message), "\(mode): \(result.summary)")
        #expect(try snapshot(store) == before, "\(mode): the store changed")
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    @Test func aRegistryThatStopsMidBlobLeavesAPullThatResumes() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let liar = try ProxiedRegistry(mode: "cut-blob")
        let store = liar.temporary.path("store")
        let cut = try runLgreg(
            ["pull", "\(liar.host)/team/aux@\(liar.digest)", "--plain-http", "--store", store], timeout: 120)
        #expect(cut.status == 75 && cut.err.contains("run again to resume"), "\(cut.summary)")
        let listed = try runLgreg(["list", "--json", "--store", store])
        #expect(listed.status == 0 && !listed.out.contains("aux"), "\(listed.summary)")
        let partials = try FileManager.default.contentsOfDirectory(atPath: store + "/.lgreg/downloads").filter {
            $0.hasSuffix(".part")
        }
        #expect(partials.count == 1, "\(partials)")
        let resumed = try runLgreg([
            "pull", "\(liar.registry.host)/team/aux@\(liar.digest)", "--plain-http", "--json", "--store", store,
        ])
        #expect(resumed.status == 0 && resumed.out.contains("\"resumedBlobs\" : 1"), "\(resumed.summary)")
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }

    @Test func aBlobRedirectedToAnotherHostIsFetchedWithoutTheCredentials() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let log = try TemporaryDirectory("lgreg-redirect-log")
        let proxied = try ProxiedRegistry(mode: "redirect", log: log.path("redirected.jsonl"))
        let environment = ["DOCKER_CONFIG": proxied.temporary.path("docker")]
        let login = try runLgreg(
            ["login", proxied.host, "-u", "me", "--password-stdin", "--plain-http"], environment: environment,
            input: Data("pass-word\n".utf8))
        #expect(login.status == 0, "\(login.summary)")
        let pulled = try runLgreg(
            [
                "pull", "\(proxied.host)/team/aux@\(proxied.digest)", "--plain-http", "--store",
                proxied.temporary.path("store"),
            ],
            environment: environment)
        #expect(pulled.status == 0 && pulled.out.contains(proxied.digest), "\(pulled.summary)")
        let redirected = try String(contentsOfFile: log.path("redirected.jsonl"), encoding: .utf8).split(
            separator: "\n")
        #expect(redirected.count == 7, "config and six tensor blobs fetched from the other host: \(redirected.count)")
        #expect(redirected.allSatisfy { $0.contains("\"authorization\": false") }, "\(redirected)")
    }

    /// index.json and every blob, by name and bytes.
    func snapshot(_ store: String) throws -> [String: Data] {
        var files = ["index.json": try Data(contentsOf: URL(fileURLWithPath: store + "/index.json"))]
        for name in try FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256") {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: store + "/blobs/sha256/" + name))
        }
        return files
    }
}
