import Foundation
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// Registry credentials where docker, ORAS, skopeo and crane keep them: `auths` in `$DOCKER_CONFIG/config.json`,
/// else `~/.docker/config.json`, each entry `{"auth": base64("user:password")}`. Other keys of the file are kept
/// as they are; the file is replaced atomically and readable by its owner only (0600).
public struct DockerConfig: Sendable {
    /// A user name and password for one registry.
    public struct Credential: Equatable, Sendable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// The config file.
    public let url: URL

    /// The file the environment names.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let folder = environment["DOCKER_CONFIG"], !folder.isEmpty {
            url = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            url = URL(fileURLWithPath: home).appendingPathComponent(".docker/config.json")
        }
    }

    /// The credential stored for `registry` (`host:port`; an `https://host/…` key as docker's older files write
    /// it matches too), or nil.
    /// - Throws: `RemoteError.io` when the file exists but cannot be read or is not a JSON object.
    public func credential(for registry: String) throws -> Credential? {
        guard let auths = try document()["auths"] as? [String: Any] else { return nil }
        let entry = auths[registry] ?? auths.first { Self.registryKey($0.key) == registry }?.value
        guard let fields = entry as? [String: Any] else { return nil }
        if let encoded = fields["auth"] as? String, let data = Data(base64Encoded: encoded),
            let pair = String(data: data, encoding: .utf8),
            let colon = pair.firstIndex(of: ":")
        {
            return Credential(username: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
        }
        if let username = fields["username"] as? String, let password = fields["password"] as? String {
            return Credential(username: username, password: password)
        }
        return nil
    }

    /// Stores `credential` for `registry`, or removes the entry when nil. Returns whether there was one before.
    @discardableResult
    public func store(_ credential: Credential?, for registry: String) throws -> Bool {
        var document = try document()
        var auths = document["auths"] as? [String: Any] ?? [:]
        let keys = auths.keys.filter { $0 == registry || Self.registryKey($0) == registry }
        for key in keys { auths.removeValue(forKey: key) }
        if let credential {
            auths[registry] = ["auth": Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()]
        }
        document["auths"] = auths
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let writer = try AtomicFileWriter(replacing: url)
            guard fchmod(writer.fileDescriptor, 0o600) == 0 else {
                throw FileSystemError(path: url.path, operation: "chmod 600")
            }
            try data.withUnsafeBytes { try writer.write($0) }
            try writer.commit()
        } catch let error as FileSystemError {
            throw RemoteError.io(path: error.path, reason: error.reason)
        } catch {
            throw RemoteError.io(path: url.path, reason: "\(error)")
        }
        return !keys.isEmpty
    }

    private func document() throws -> [String: Any] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RemoteError.io(path: url.path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RemoteError.io(path: url.path, reason: "is not a JSON object; fix or remove it")
        }
        return object
    }

    /// `https://host:port/v1/` → `host:port`.
    static func registryKey(_ key: String) -> String {
        var text = Substring(key)
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        return String(text.prefix { $0 != "/" })
    }
}
