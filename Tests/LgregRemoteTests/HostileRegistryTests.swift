import Foundation
import LgregTestSupport
import Testing

/// Issue 27: nothing a registry or the network does crashes lgreg, hangs it, fills the disk or gets a password
/// sent in clear text; every refusal leaves the store byte-identical (its whole tree, private state included).
@Suite(.serialized) final class HostileRegistryTests {
    let temporary: TemporaryDirectory

    init() throws {
        temporary = try TemporaryDirectory("lgreg-hostile-registry")
    }

    /// A store holding another learngene, for refusals to leave as it was.
    func storeWithAnotherLearngene(_ folder: TemporaryDirectory) throws -> String {
        let store = folder.path("store")
        let other = folder.path("other.lgz")
        let made = try runLgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "1,1", "--random", "--name", "other", "-o", other,
        ])
        try #require(made.status == 0, "\(made.summary)")
        try #require(try runLgreg(["publish", other, "--store", store]).status == 0)
        return store
    }

    /// Case 1: a port past 65535 is bad input, named, at once (it crashed with SIGILL after 7 s).
    @Test(arguments: [
        ["pull", "127.0.0.1:99999/lg/t:1", "--plain-http"], ["push", "aux", "127.0.0.1:65536/lg/t:1", "--plain-http"],
        ["login", "127.0.0.1:65536", "-u", "me", "--password-stdin", "--plain-http"], ["list", "127.0.0.1:65536/lg/t"],
        ["pull", "127.0.0.1:0/lg/t:1", "--plain-http"],
    ])
    func aPortPastTheLastIsBadInput(arguments: [String]) throws {
        let target = try #require(arguments.first { $0.hasPrefix("127.0.0.1:") })
        let port = target.split(separator: "/")[0].split(separator: ":")[1]
        let started = Date()
        let store = arguments[0] == "login" ? [] : ["--store", temporary.path("store")]
        let result = try runLgreg(
            arguments + store, environment: ["DOCKER_CONFIG": temporary.path("docker")],
            input: Data("secret\n".utf8), timeout: 60)
        #expect(!result.signaled && result.status == 64, "\(arguments[0]): \(result.summary)")
        #expect(result.err.contains("port '\(port)'"), "\(result.summary)")
        #expect(Date().timeIntervalSince(started) < 30, "refused at once, before any connection")
    }

    /// Case 2: a server that sends one byte a second is cut off once the transfer falls below the minimum rate
    /// after the timeout (3 s here), with exit 75; before, the manifest was still being read after 200 s.
    @Test(arguments: [("slow-manifest", "too slowly"), ("slow-blob", "run again to resume")])
    func aSlowServerIsCutOffAtItsDeadline(mode: String, message: String) throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let slow = try ProxiedRegistry(mode: mode)
        let started = Date()
        let result = try runLgreg(
            ["pull", "\(slow.host)/team/aux@\(slow.digest)", "--plain-http", "--store", slow.temporary.path("store")],
            environment: ["LGREG_REGISTRY_TIMEOUT": "3"], timeout: 180)
        let seconds = Date().timeIntervalSince(started)
        #expect(!result.timedOut && result.status == 75, "\(mode) after \(Int(seconds)) s: \(result.summary)")
        #expect(result.err.contains("too slowly") && result.err.contains(message), "\(mode): \(result.summary)")
        print("\(mode): refused after \(String(format: "%.1f", seconds)) s with a 3 s timeout")
        // The same from the option, which wins over the environment.
        let byOption = try runLgreg(
            [
                "pull", "\(slow.host)/team/aux@\(slow.digest)", "--plain-http", "--timeout", "2", "--min-rate", "100",
                "--store", slow.temporary.path("store"),
            ], environment: ["LGREG_REGISTRY_TIMEOUT": "600"], timeout: 180)
        #expect(
            !byOption.timedOut && byOption.status == 75 && byOption.err.contains("too slowly"),
            "\(mode): \(byOption.summary)")
    }

    @Test func aTransferSettingThatCannotBeUsedIsBadInput() throws {
        let bad = try runLgreg(
            ["pull", "127.0.0.1:5000/team/aux:1", "--plain-http", "--store", temporary.path("store")],
            environment: ["LGREG_REGISTRY_MIN_RATE": "fast"], timeout: 60)
        #expect(bad.status == 64 && bad.err.contains("LGREG_REGISTRY_MIN_RATE"), "\(bad.summary)")
        let zero = try runLgreg(
            [
                "pull", "127.0.0.1:5000/team/aux:1", "--plain-http", "--timeout", "0", "--store",
                temporary.path("store"),
            ],
            timeout: 60)
        #expect(zero.status == 64 && zero.err.contains("--timeout"), "\(zero.summary)")
    }

    /// Case 3: a bearer challenge naming a plain-HTTP token server on another host gets no credentials: login
    /// (and every command after it) refuses with exit 77, naming the realm. The loopback host logged into gets
    /// them, as before.
    @Test(arguments: ["127.0.0.2", "own address", "127.0.0.1"])
    func credentialsGoOverPlainHTTPOnlyToTheLoopbackHostLoggedInto(realmHost: String) throws {
        var host = realmHost
        if realmHost == "own address" {
            // This machine's own network address, if it has one: the token server listens there, so no packet
            // leaves the machine.
            let addresses = try runProcess("hostname", ["-I"]).out.split(separator: " ").map(String.init)
            guard let own = addresses.first(where: { $0.contains(".") && !$0.hasPrefix("127.") }) else {
                print("skipped: this machine has no IPv4 address of its own besides loopback")
                return
            }
            host = own
        }
        let log = temporary.path("token-requests-\(host).jsonl")
        let realmPort = try RegistryServer.freePort()
        let server = try FixtureServer("foreign_realm.py") { ["\($0)", host, "\(realmPort)", log] }
        let registry = "127.0.0.1:\(server.port)"
        let environment = ["DOCKER_CONFIG": temporary.path("docker-\(host)")]
        let login = try runLgreg(
            ["login", registry, "-u", "me", "--password-stdin", "--plain-http"], environment: environment,
            input: Data("pass-word\n".utf8), timeout: 120)
        let requests = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        if host == "127.0.0.1" {
            #expect(login.status == 0, "\(login.summary)")
            #expect(
                requests.contains { $0.contains("\"authorization\": true") },
                "the loopback host logged into gets them: \(requests)")
            return
        }
        #expect(login.status == 77, "\(login.summary)")
        #expect(
            login.err.contains("http://\(host):\(realmPort)/token"), "the refusal names the realm: \(login.summary)")
        #expect(
            !requests.contains { $0.contains("\"authorization\": true") }, "no credentials went to \(host): \(requests)"
        )
        #expect(!(login.out + login.err).contains("pass-word"))
        // Stored credentials (written by another tool) are refused the same way by every command.
        let config = temporary.path("docker-\(host)") + "/config.json"
        try FileManager.default.createDirectory(
            atPath: temporary.path("docker-\(host)"), withIntermediateDirectories: true)
        let auth = Data("me:pass-word".utf8).base64EncodedString()
        try Data(#"{"auths": {"\#(registry)": {"auth": "\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: config))
        for arguments in [["pull", "\(registry)/team/aux:1"], ["list", "\(registry)/team/aux"]] {
            let refused = try runLgreg(
                arguments + ["--plain-http", "--store", temporary.path("store")], environment: environment, timeout: 120
            )
            #expect(
                refused.status == 77 && refused.err.contains("http://\(host):\(realmPort)/token"),
                "\(arguments[0]): \(refused.summary)")
        }
        let after = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(!after.contains { $0.contains("\"authorization\": true") }, "no credentials went to \(host): \(after)")
    }

    /// Cases 4 and 5: a descriptor that lies about a size is refused (65) from the config, before a byte of that
    /// blob is fetched: a layer declared as 1 TB, 25,000 copies of one layer, a forged config whose file and layer
    /// say 1 TB alike (the architecture bounds them), a config declared as 2 GiB.
    @Test(arguments: [
        ("huge-layer", "layer 1", 1), ("many-layers", "lists 25000 layers", 1), ("forged-sizes", "layers[0].size", 1),
        ("huge-config", "more than the 4 MiB a config may have", 0),
    ])
    func aLyingSizeIsRefusedBeforeTheBlobIsFetched(mode: String, message: String, blobRequests: Int) throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let log = temporary.path("\(mode)-requests.jsonl")
        let liar = try ProxiedRegistry(mode: mode, log: log)
        let store = try storeWithAnotherLearngene(liar.temporary)
        let before = try treeHash(URL(fileURLWithPath: store))
        // By tag: the forged manifest has another digest than the one pushed.
        let result = try runLgreg(
            ["pull", "\(liar.host)/team/aux:0.1.0", "--plain-http", "--store", store], timeout: 300)
        #expect(result.status == 65, "\(mode): \(result.summary)")
        #expect(result.err.contains("refused") && result.err.contains(message), "\(mode): \(result.summary)")
        let requests = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(requests.count == blobRequests, "\(mode): only the config may be fetched: \(requests)")
        #expect(try treeHash(URL(fileURLWithPath: store)) == before, "\(mode): the store changed")
    }

    /// Case 6: blobs that checked out on their own (the config, the shared tensors, four layers) do not enter the
    /// store when the entry is refused (here its last layer's bytes are wrong): nothing of it stays, exit 65.
    @Test func aRefusedPullLeavesNoBlobOfIt() throws {
        if let reason = RegistryServer.missing {
            print("skipped: \(reason)")
            return
        }
        let liar = try ProxiedRegistry(mode: "wrong-last-blob")
        let store = try storeWithAnotherLearngene(liar.temporary)
        let before = try treeHash(URL(fileURLWithPath: store))
        let result = try runLgreg(
            ["pull", "\(liar.host)/team/aux@\(liar.digest)", "--plain-http", "--store", store], timeout: 300)
        #expect(result.status == 65 && result.err.contains("hashes to"), "\(result.summary)")
        #expect(try treeHash(URL(fileURLWithPath: store)) == before, "the store changed")
        // The honest registry then gives the whole entry.
        let pulled = try runLgreg(
            ["pull", "\(liar.registry.host)/team/aux@\(liar.digest)", "--plain-http", "--store", store], timeout: 300)
        #expect(pulled.status == 0, "\(pulled.summary)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: store + "/.lgreg/downloads")) ?? []
        #expect(leftovers.isEmpty, "no .part or lock file stays after a pull: \(leftovers)")
        #expect(try runLgreg(["fsck", "--store", store]).status == 0)
    }
}
