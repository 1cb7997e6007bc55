import AsyncHTTPClient
import Foundation
import LgregCore
import LgregStore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// Push, pull and listing against one registry, the OCI distribution API v2 as the spec writes it: manifests,
/// config and layer blobs go across exactly as stored, so digests are the same on both sides.
public final class Registry: Sendable {
    let client: RegistryClient
    /// `host:port`.
    public var name: String { client.registry }

    /// Accept header for manifests: an image manifest or an index (distribution 2.8 refuses OCI manifests without it).
    static let acceptManifests = "\(OCIMediaType.imageManifest), \(OCIMediaType.imageIndex)"

    public init(_ registry: String, options: RegistryOptions) throws {
        client = try RegistryClient(registry: registry, options: options)
    }

    /// Ends the HTTP client; call once when done.
    public func close() async { await client.shutdown() }

    /// `GET /v2/`: the registry answers and takes the credentials (what `lgreg login` checks).
    public func ping() async throws {
        let response = try await client.send(.GET, client.url("/v2/"), scope: "")
        await client.drain(response)
        guard response.status == .ok else {
            throw RemoteError.rejected(
                registry: name, status: Int(response.status.code), detail: "GET /v2/ is not an OCI registry's answer")
        }
    }

    static func pullScope(_ repository: String) -> String { "repository:\(repository):pull" }
    static func pushScope(_ repository: String) -> String { "repository:\(repository):pull,push" }

    // MARK: Manifests

    /// Reads manifest `reference` (tag or digest) of `repository`: at most 4 MiB, an OCI image manifest or index
    /// by media type, its digest equal to `expected` (when pulling by digest) and to the registry's
    /// `Docker-Content-Digest`.
    func fetchManifest(_ repository: String, _ reference: String, expected: Digest?, acceptIndex: Bool = false)
        async throws -> (data: Data, digest: Digest, mediaType: String)?
    {
        let what = "\(name)/\(repository)@\(reference)"
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: acceptIndex ? OCIMediaType.imageIndex : Self.acceptManifests)
        let response = try await client.send(
            .GET, client.url("/v2/\(repository)/manifests/\(reference)"), headers: headers,
            scope: Self.pullScope(repository))
        if response.status == .notFound {
            await client.drain(response)
            return nil
        }
        guard response.status == .ok else {
            throw RemoteError.rejected(
                registry: name, status: Int(response.status.code), detail: await client.errorDetail(response))
        }
        let mediaType =
            (response.headers.first(name: "Content-Type") ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? ""
        let wanted = acceptIndex ? [OCIMediaType.imageIndex] : [OCIMediaType.imageManifest]
        guard wanted.contains(mediaType) else {
            await client.drain(response)
            throw RemoteError.refused(
                what: what,
                reason: "media type '\(RemoteError.quoted(mediaType))', expected \(wanted.joined(separator: " or "))")
        }
        let data = try await client.read(response, what: what)
        let digest = Digest.of(data)
        if let expected, digest != expected {
            throw RemoteError.refused(what: what, reason: "the manifest hashes to \(digest), not the digest asked for")
        }
        if let said = response.headers.first(name: "Docker-Content-Digest"), Digest(said) != digest {
            throw RemoteError.refused(
                what: what, reason: "the manifest hashes to \(digest), the registry says \(RemoteError.quoted(said))")
        }
        return (data, digest, mediaType)
    }

    /// PUTs manifest bytes under `reference` (a tag or the digest) and checks the registry's digest.
    func putManifest(_ data: Data, mediaType: String, repository: String, reference: String) async throws -> HTTPHeaders
    {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: mediaType)
        let bytes = data
        let response = try await client.send(
            .PUT, client.url("/v2/\(repository)/manifests/\(reference)"), headers: headers,
            scope: Self.pushScope(repository), body: { .bytes(ByteBuffer(bytes: bytes)) })
        guard response.status == .created else {
            throw RemoteError.rejected(
                registry: name, status: Int(response.status.code), detail: await client.errorDetail(response))
        }
        await client.drain(response)
        let digest = Digest.of(data)
        if let said = response.headers.first(name: "Docker-Content-Digest"), Digest(said) != digest {
            throw RemoteError.refused(
                what: "\(name)/\(repository)@\(reference)",
                reason: "the registry stored the manifest as \(RemoteError.quoted(said)), not \(digest)")
        }
        return response.headers
    }

    // MARK: Listing

    /// The tags of `repository` (all pages), sorted.
    public func tags(_ repository: String) async throws -> [String] {
        try await pagedList(
            "/v2/\(repository)/tags/list", key: "tags", scope: Self.pullScope(repository), what: "\(name)/\(repository)"
        )
    }

    /// The repositories of the registry (its catalog, where it offers one), sorted.
    public func catalog() async throws -> [String] {
        try await pagedList("/v2/_catalog", key: "repositories", scope: "registry:catalog:*", what: "\(name) catalog")
    }

    private func pagedList(_ path: String, key: String, scope: String, what: String) async throws -> [String] {
        var items: [String] = []
        var next: String? = client.url(path + "?n=1000")
        var pages = 0
        while let target = next, pages < 1000 {
            pages += 1
            let response = try await client.send(.GET, target, scope: scope)
            if response.status == .notFound {
                await client.drain(response)
                throw RemoteError.notFound(what)
            }
            guard response.status == .ok else {
                throw RemoteError.rejected(
                    registry: name, status: Int(response.status.code), detail: await client.errorDetail(response))
            }
            let data = try await client.read(response, what: what)
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw RemoteError.refused(what: what, reason: "the listing is not a JSON object")
            }
            items += (object[key] as? [String]) ?? []
            next = response.headers.first(name: "Link").flatMap { link in
                guard let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close else {
                    return nil
                }
                return URL(string: String(link[link.index(after: open)..<close]), relativeTo: URL(string: client.base))?
                    .absoluteURL.absoluteString
            }
        }
        return items.sorted()
    }
}
