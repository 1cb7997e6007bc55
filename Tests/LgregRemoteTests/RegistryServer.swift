import Foundation
import LgregTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 and a free port, with a config this test
/// writes (filesystem storage in a temporary folder), optionally behind TLS with a certificate made by `openssl`
/// and htpasswd basic auth or a token server; killed when the value is released.
final class RegistryServer: @unchecked Sendable {
    static let binary = "/usr/bin/docker-registry"
    /// Why the tests cannot run here, or nil.
    static var missing: String? {
        FileManager.default.isExecutableFile(atPath: binary)
            ? nil : "\(binary) is not installed (scripts/setup.sh installs docker-registry)"
    }

    let folder: TemporaryDirectory
    let port: Int
    let process: Process
    /// `127.0.0.1:PORT`.
    var host: String { "127.0.0.1:\(port)" }
    /// The certificate it serves TLS with (kept while the registry runs).
    let certificate: TestCertificate?
    /// The CA file to trust when TLS is on.
    var caFile: String? { certificate?.cert }

    /// How the registry authenticates: not at all, htpasswd basic auth, or tokens from a token server.
    enum Auth {
        case none
        case basic(user: String, password: String)
        case token(realm: String, service: String, issuer: String, certificate: TestCertificate)
    }

    init(certificate: TestCertificate? = nil, auth: Auth = .none) throws {
        folder = try TemporaryDirectory("lgreg-registry")
        port = try Self.freePort()
        var config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(folder.path("data"))
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)

            """
        if let certificate {
            config += "  tls:\n    certificate: \(certificate.cert)\n    key: \(certificate.key)\n"
        }
        self.certificate = certificate
        switch auth {
        case .none: break
        case .basic(let user, let password):
            let hashed = try runProcess("htpasswd", ["-Bbn", user, password])
            guard hashed.status == 0 else { throw TestFailure("htpasswd: \(hashed.summary)") }
            try hashed.out.write(toFile: folder.path("htpasswd"), atomically: true, encoding: .utf8)
            config += "auth:\n  htpasswd:\n    realm: lgreg-test\n    path: \(folder.path("htpasswd"))\n"
        case .token(let realm, let service, let issuer, let signer):
            config +=
                "auth:\n  token:\n    realm: \(realm)\n    service: \(service)\n    issuer: \(issuer)\n    rootcertbundle: \(signer.cert)\n"
        }
        try config.write(toFile: folder.path("config.yml"), atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", folder.path("config.yml")]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        FileManager.default.createFile(atPath: folder.path("registry.log"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.appending("registry.log"))
        try process.run()
        try waitUntilListening()
    }

    deinit { stop() }

    /// Kills the registry (SIGKILL) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `--plain-http` or `--ca-file CA`, as lgreg needs them for this registry.
    var lgregOptions: [String] { caFile.map { ["--ca-file", $0] } ?? ["--plain-http"] }

    private func waitUntilListening() throws {
        try Self.waitForListener(on: port, process: process, log: folder.path("registry.log"), name: "docker-registry")
    }

    /// Waits (10 s at most) until something accepts connections on 127.0.0.1:`port`.
    static func waitForListener(on port: Int, process: Process, log: String, name: String) throws {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(fd)
            if connected == 0 { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw TestFailure("\(name) did not start on 127.0.0.1:\(port): \(text.suffix(600))")
    }

    /// A port nothing listens on now (bound to 0 and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost made by `openssl` (TLS, and token signing).
final class TestCertificate: @unchecked Sendable {
    let folder: TemporaryDirectory
    var cert: String { folder.path("cert.pem") }
    var key: String { folder.path("key.pem") }

    init() throws {
        folder = try TemporaryDirectory("lgreg-cert")
        let made = try runProcess(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", folder.path("key.pem"), "-out", folder.path("cert.pem"),
            ])
        guard made.status == 0 else { throw TestFailure("openssl: \(made.summary)") }
    }
}

/// A failed test set-up step, with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A Python test server from `Fixtures/` (a lying registry, a token server) on a free port, killed when released.
final class FixtureServer: @unchecked Sendable {
    let port: Int
    let process: Process
    let log: TemporaryDirectory

    init(_ script: String, arguments: (Int) -> [String]) throws {
        port = try RegistryServer.freePort()
        log = try TemporaryDirectory("lgreg-fixture-server")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/\(script)"
        ).path
        process.arguments = ["python3", path] + arguments(port)
        FileManager.default.createFile(atPath: log.path("log"), contents: nil)
        let handle = try FileHandle(forWritingTo: log.appending("log"))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try RegistryServer.waitForListener(on: port, process: process, log: log.path("log"), name: script)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
