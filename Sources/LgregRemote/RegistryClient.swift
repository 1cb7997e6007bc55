import AsyncHTTPClient
import Foundation
import LgregCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// How to reach a registry: TLS trust, plain HTTP, credentials, upload chunking.
public struct RegistryOptions: Sendable {
    /// Talk HTTP instead of HTTPS (only when asked for: `--plain-http`). Credentials are then sent only to a
    /// registry on this machine.
    public var plainHTTP = false
    /// `--timeout`: seconds a request may wait for an answer or for its next bytes (`TransferLimits`).
    public var timeout: Double?
    /// `--min-rate`: bytes a second a body must average after the timeout's grace (`TransferLimits`).
    public var minimumRate: Int?
    /// A PEM file of CA certificates trusted beside the system's (`--ca-file`).
    public var caFile: String?
    /// Where credentials are read from.
    public var dockerConfig = DockerConfig()
    /// Credentials to use instead of the stored ones (`lgreg login` checks these before storing them).
    public var credential: DockerConfig.Credential?
    /// Blobs up to this size go up in one PUT; larger ones in PATCH chunks of this size.
    public var chunkBytes = 16 << 20

    public init() {}
}

/// One registry's HTTP conversation (OCI distribution API v2) over AsyncHTTPClient: authentication (basic, or
/// bearer tokens from the registry's token server, cached per scope), redirects followed by hand so that
/// `Authorization` never goes to another host, and every transport failure turned into a `RemoteError`. Nothing
/// it throws or prints holds a credential or a token.
final class RegistryClient: @unchecked Sendable {
    let registry: String
    let options: RegistryOptions
    /// `https://host:port` (or `http://` with `--plain-http`).
    let base: String
    /// How slow a request may be.
    let limits: TransferLimits
    private let http: HTTPClient
    private let credential: DockerConfig.Credential?
    private let lock = NSLock()
    private var tokens: [String: String] = [:]
    private var usesBasic = false

    /// Manifests and indexes are read up to this size (the distribution's own limit).
    static let manifestLimit = 4 << 20

    init(registry: String, options: RegistryOptions) throws {
        self.registry = registry
        self.options = options
        base = (options.plainHTTP ? "http://" : "https://") + registry
        limits = try TransferLimits(timeout: options.timeout, minimumRate: options.minimumRate)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw RemoteError.io(path: caFile, reason: "cannot read the CA file")
            }
            do { tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))] } catch {
                throw RemoteError.io(path: caFile, reason: "not a PEM certificate file: \(error)")
            }
        }
        let wait = TimeAmount.nanoseconds(Int64(limits.timeout * 1e9))
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: wait, read: wait))
        configuration.httpVersion = .http1Only
        // A refused connection or an untrusted certificate is said at once, not retried until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let stored = options.credential == nil ? try options.dockerConfig.credential(for: registry) : nil
        credential = options.credential ?? stored
    }

    func shutdown() async { try? await http.shutdown() }

    /// `base + path`.
    func url(_ path: String) -> String { base + path }

    /// `base` as a URL.
    var baseURL: URL { URL(string: base)! }

    /// Sends a request to this registry with the credentials `scope` needs (`repository:team/aux:pull,push`),
    /// answering one authentication challenge (basic, or a bearer token fetched and cached for the scope).
    /// `body` is called for each attempt (a stream is read once).
    func send(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = [:], scope: String,
        body: () throws -> HTTPClientRequest.Body? = { nil }
    ) async throws -> HTTPClientResponse {
        var response = try await execute(
            method, target, headers: headers, authorization: authorization(scope: scope), body: try body())
        guard response.status == .unauthorized else { return try await check(response) }
        let challenge = response.headers.first(name: "WWW-Authenticate") ?? ""
        await drain(response)
        try await answer(challenge, scope: scope)
        response = try await execute(
            method, target, headers: headers, authorization: authorization(scope: scope), body: try body())
        return try await check(response)
    }

    /// GET of a blob: redirects (an object store's 307) followed; `Authorization` goes to this registry only.
    func getBlob(_ path: String, headers: HTTPHeaders, scope: String) async throws -> HTTPClientResponse {
        var response = try await send(.GET, url(path), headers: headers, scope: scope)
        var current = url(path)
        for _ in 0..<5 {
            guard [301, 302, 303, 307, 308].contains(response.status.code),
                let location = response.headers.first(name: "Location"),
                let target = URL(string: location, relativeTo: URL(string: current))?.absoluteURL
            else { return response }
            await drain(response)
            guard target.scheme == "https" || (options.plainHTTP && target.scheme == "http") else {
                throw RemoteError.rejected(
                    registry: registry, status: Int(response.status.code),
                    detail: "a redirect to \(target.scheme ?? "?") (HTTPS only, or --plain-http)")
            }
            current = target.absoluteString
            if Self.origin(of: target) == Self.origin(of: baseURL) {
                response = try await send(.GET, current, headers: headers, scope: scope)
            } else {
                response = try await execute(.GET, current, headers: headers, authorization: nil, body: nil)
            }
        }
        if [301, 302, 303, 307, 308].contains(response.status.code) {
            throw RemoteError.rejected(
                registry: registry, status: Int(response.status.code), detail: "more than 5 redirects")
        }
        return response
    }

    /// Reads a small body (a manifest, an index, an error, a token) up to `limit` bytes.
    func read(_ response: HTTPClientResponse, limit: Int = RegistryClient.manifestLimit, what: String) async throws
        -> Data
    {
        if let declared = response.headers.first(name: "Content-Length").flatMap({ Int($0) }), declared > limit {
            throw RemoteError.refused(
                what: what, reason: "\(declared) bytes, more than the \(limit >> 20) MiB a manifest may have")
        }
        let clock = limits.body(what, registry: registry)
        var data = Data()
        do {
            for try await buffer in response.body {
                guard data.count + buffer.readableBytes <= limit else {
                    throw RemoteError.refused(
                        what: what,
                        reason: "more than the \(limit >> 20) MiB a manifest may "
                            + "have")
                }
                data.append(contentsOf: buffer.readableBytesView)
                try clock.check(received: data.count)
            }
            return data
        } catch let error as RemoteError {
            throw error
        } catch {
            throw RemoteError.unreachable(registry: registry, reason: Self.describe(error))
        }
    }

    /// Reads and drops the rest of a body (a connection is reused only after its body was read), at most 1 MiB
    /// and no slower than the limits allow.
    func drain(_ response: HTTPClientResponse) async {
        _ = try? await read(response, limit: 1 << 20, what: "a response")
    }

    /// The registry's error body, in a few words: `MANIFEST_UNKNOWN: manifest unknown`.
    func errorDetail(_ response: HTTPClientResponse) async -> String {
        guard let data = try? await read(response, limit: 64 << 10, what: "error"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let errors = object["errors"] as? [[String: Any]], let first = errors.first
        else { return "" }
        return RemoteError.quoted("\(first["code"] as? String ?? "")\(first["message"].map { ": \($0)" } ?? "")")
    }

    // MARK: Transport

    private func execute(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders, authorization: String?,
        body: HTTPClientRequest.Body?
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: target)
        request.method = method
        request.headers = headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "lgreg")
        if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        request.body = body
        do {
            let uploadBytes = headers.first(name: "Content-Length").flatMap { Int($0) } ?? 0
            let allowed = limits.allowedTime(for: uploadBytes).components
            let nanoseconds = allowed.seconds * 1_000_000_000 + allowed.attoseconds / 1_000_000_000
            return try await http.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
        } catch let error as RemoteError {
            throw error
        } catch {
            // A TLS hello answered in plain HTTP: retrying cannot help, the option can.
            if let error = error as? NIOSSLError, "\(error)".contains("WRONG_VERSION_NUMBER") {
                throw RemoteError.invalidOption(
                    name: registry, reason: "this registry speaks plain HTTP, not HTTPS: add --plain-http")
            }
            throw RemoteError.unreachable(registry: registry, reason: Self.describe(error))
        }
    }

    /// 5xx → unreachable (try again later); 401/403 → authentication; everything else is the caller's.
    private func check(_ response: HTTPClientResponse) async throws -> HTTPClientResponse {
        switch response.status.code {
        case 500...599:
            let detail = await errorDetail(response)
            throw RemoteError.unreachable(
                registry: registry, reason: "HTTP \(response.status.code)\(detail.isEmpty ? "" : ": \(detail)")")
        case 401:
            await drain(response)
            throw RemoteError.authentication(
                registry: registry,
                detail: credential == nil
                    ? "the registry asks for credentials and none are stored for it (run `lgreg login \(registry)`)"
                    : "the registry refused the credentials of user '\(RemoteError.quoted(credential!.username))' (run `lgreg login \(registry)` again)"
            )
        case 403:
            let detail = await errorDetail(response)
            throw RemoteError.authentication(
                registry: registry, detail: "access denied\(detail.isEmpty ? "" : ": \(detail)")")
        default: return response
        }
    }

    // MARK: Authentication

    private func authorization(scope: String) -> String? {
        let (token, basic) = lock.withLock { (tokens[scope], usesBasic) }
        if let token { return "Bearer \(token)" }
        return basic ? basicAuthorization(for: baseURL) : nil
    }

    /// The stored user and password for `target`, where the rule lets them go.
    private func basicAuthorization(for target: URL) -> String? {
        guard let credential, mayReceiveCredentials(target) else { return nil }
        return "Basic " + Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()
    }

    /// The one rule for every place credentials (a password, a token) could go, the registry, its token server
    /// or a redirect: over HTTPS, or over plain HTTP to the loopback host that was logged into and nowhere else.
    func mayReceiveCredentials(_ target: URL) -> Bool {
        if target.scheme == "https" { return true }
        let loggedInto = RegistryReference.host(of: registry)
        let host = (target.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return target.scheme == "http" && RegistryReference.isLoopback(host: loggedInto) && host == loggedInto
    }

    private func answer(_ challenge: String, scope: String) async throws {
        let parsed = Challenge(challenge)
        switch parsed.scheme {
        case "basic":
            guard credential != nil else {
                throw RemoteError.authentication(
                    registry: registry,
                    detail:
                        "the registry asks for a user name and password and none are stored for it (run `lgreg login \(registry)`)"
                )
            }
            guard mayReceiveCredentials(baseURL) else {
                throw RemoteError.authentication(
                    registry: registry, detail: "credentials are not sent over plain HTTP to another machine")
            }
            lock.withLock { usesBasic = true }
        case "bearer":
            let token = try await fetchToken(parsed, scope: scope)
            lock.withLock { tokens[scope] = token }
        default:
            throw RemoteError.authentication(
                registry: registry,
                detail:
                    "the registry asks for an authentication scheme lgreg does not speak ('\(RemoteError.quoted(parsed.scheme))')"
            )
        }
    }

    /// A token from the registry's token server (`realm`), for `service` and the scope asked for.
    private func fetchToken(_ challenge: Challenge, scope: String) async throws -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
            components.scheme == "https" || (options.plainHTTP && components.scheme == "http")
        else {
            throw RemoteError.authentication(
                registry: registry, detail: "the registry names no usable token server (realm must be https)")
        }
        var query = components.queryItems ?? []
        if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        for wanted in Set([scope] + (challenge.parameters["scope"].map { [$0] } ?? [])) where !wanted.isEmpty {
            query.append(URLQueryItem(name: "scope", value: wanted))
        }
        components.queryItems = query
        guard let url = components.url, url.host != nil else {
            throw RemoteError.authentication(registry: registry, detail: "the token server's address is not a URL")
        }
        if credential != nil, !mayReceiveCredentials(url) {
            let loggedInto = RemoteError.quoted(RegistryReference.host(of: registry))
            throw RemoteError.authentication(
                registry: registry,
                detail: "the registry sends the credentials to token "
                    + "server '\(RemoteError.quoted(realm))'; lgreg sends them over plain HTTP only to the loopback host "
                    + "logged into (\(loggedInto)), elsewhere over HTTPS only")
        }
        let response = try await execute(
            .GET, url.absoluteString, headers: [:], authorization: basicAuthorization(for: url),
            body: nil)
        guard response.status == .ok else {
            await drain(response)
            throw RemoteError.authentication(
                registry: registry,
                detail:
                    "the token server refused \(credential == nil ? "an anonymous request" : "the credentials of user '\(RemoteError.quoted(credential!.username))'") (HTTP \(response.status.code))"
            )
        }
        let data = try await read(response, limit: 1 << 20, what: "token")
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty,
            token.allSatisfy({ $0.isASCII && !$0.isWhitespace })
        else {
            throw RemoteError.authentication(registry: registry, detail: "the token server's answer holds no token")
        }
        return token
    }

    // MARK: Helpers

    static func origin(of url: URL) -> String {
        "\(url.scheme ?? "")://\(url.host ?? ""):\(url.port ?? (url.scheme == "http" ? 80 : 443))"
    }

    /// A transport error in words (AsyncHTTPClient's and NIO's descriptions name no header).
    static func describe(_ error: Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout: return "read timed out"
            case .remoteConnectionClosed: return "the connection closed early"
            default: return RemoteError.quoted("\(error)")
            }
        }
        if let error = error as? NIOSSLError {
            let text = "\(error)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "TLS: the registry's certificate is not trusted (a private CA is trusted with --ca-file)"
            }
            return "TLS handshake failed (\(RemoteError.quoted(text))); a private CA is trusted with --ca-file"
        }
        if error is IOError || String(describing: type(of: error)).contains("Connection") {
            return RemoteError.quoted("cannot connect: \(error)")
        }
        return RemoteError.quoted("\(error)")
    }
}

/// A `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
struct Challenge {
    var scheme: String
    var parameters: [String: String] = [:]

    init(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let space = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        scheme = trimmed[..<space].lowercased()
        var rest = Substring(trimmed[space...])
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    value.append(rest.first!)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[key] = value
        }
    }
}
