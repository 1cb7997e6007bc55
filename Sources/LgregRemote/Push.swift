import AsyncHTTPClient
import Foundation
import LgregCore
import LgregStore
import NIOCore
import NIOHTTP1

extension Registry {
    /// Pushes stored manifest `digest` (a learngene) to `repository` under `tag`: every blob the registry lacks
    /// (HEAD first; a mount from another repository of this registry where the store knows one holds it; one PUT
    /// for a small blob, PATCH chunks for a large one), the manifest last. With `withReferrers` the learngene's
    /// Des-Nets follow as OCI artifacts whose `subject` is the learngene.
    public func push(
        _ digest: Digest, from store: LearngeneStore, repository: String, tag: String, withReferrers: Bool,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) async throws -> PushReport {
        let started = Date()
        var report = PushReport(reference: "\(name)/\(repository):\(tag)", digest: digest.description)
        let manifestBytes = try store.blobBytes(digest)
        let image = try store.imageManifest(digest)
        var derived: [(digest: Digest, bytes: Data, image: ImageManifest)] = []
        if withReferrers {
            for artifact in try store.derivedArtifacts(of: digest) {
                let (bytes, artifactImage) = try referrerManifest(
                    artifact, subject: digest, subjectSize: manifestBytes.count, in: store)
                derived.append((Digest.of(bytes), bytes, artifactImage))
            }
        }
        let blobs = Self.unique([image.config] + image.layers + derived.flatMap { [$0.image.config] + $0.image.layers })
        let total = TransferProgress(
            bytes: 0, totalBytes: blobs.reduce(0) { $0 + $1.size }, blobs: 0, totalBlobs: blobs.count)
        var done = total
        for blob in blobs {
            switch try await pushBlob(blob, from: store, repository: repository) {
            case .present: report.presentBlobs += 1
            case .mounted: report.mountedBlobs += 1
            case .uploaded:
                report.uploadedBlobs += 1
                report.uploadedBytes += blob.size
            }
            done.blobs += 1
            done.bytes += blob.size
            progress?(done)
            CrashPoint.pushBlob.reached()
        }
        RemoteOrigins.record(blobs.map(\.digest), registry: name, repository: repository, in: store)
        _ = try await putManifest(
            manifestBytes, mediaType: OCIMediaType.imageManifest, repository: repository, reference: tag)
        for artifact in derived {
            let headers = try await putManifest(
                artifact.bytes, mediaType: OCIMediaType.imageManifest, repository: repository,
                reference: artifact.digest.description)
            if headers.first(name: "OCI-Subject") == nil {
                try await addToReferrersTag(artifact, subject: digest, repository: repository)
            }
            report.referrers.append(artifact.digest.description)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// A stored derived manifest as it goes to a registry: with `subject` naming the learngene (written by
    /// `writeDerived` since stores carry it; added here for a Des-Net recorded before).
    private func referrerManifest(_ digest: Digest, subject: Digest, subjectSize: Int, in store: LearngeneStore) throws
        -> (Data, ImageManifest)
    {
        var image = try store.imageManifest(digest)
        if image.subject?.digest == subject { return (try store.blobBytes(digest), image) }
        image.subject = Descriptor(
            mediaType: OCIMediaType.imageManifest, digest: subject, size: subjectSize,
            artifactType: OCIMediaType.learngene)
        return (try image.encoded(), image)
    }

    /// OCI 1.1's fallback for a registry without the referrers API: the tag `sha256-<hex>` of the subject holds an
    /// image index listing its referrers.
    private func addToReferrersTag(
        _ artifact: (digest: Digest, bytes: Data, image: ImageManifest), subject: Digest, repository: String
    ) async throws {
        let tag = "sha256-\(subject.hex)"
        var index = ImageIndex()
        if let existing = try await fetchManifest(repository, tag, expected: nil, acceptIndex: true) {
            guard let decoded = try? JSONDecoder().decode(ImageIndex.self, from: existing.data) else {
                throw RemoteError.refused(
                    what: "\(name)/\(repository):\(tag)",
                    reason: "the referrers index does not decode as an OCI image index")
            }
            index = decoded
        }
        guard !index.manifests.contains(where: { $0.digest == artifact.digest }) else { return }
        index.manifests.append(
            Descriptor(
                mediaType: OCIMediaType.imageManifest, digest: artifact.digest, size: artifact.bytes.count,
                artifactType: artifact.image.artifactType, annotations: artifact.image.annotations))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        _ = try await putManifest(
            try encoder.encode(index), mediaType: OCIMediaType.imageIndex, repository: repository, reference: tag)
    }

    enum BlobPush { case present, mounted, uploaded }

    private func pushBlob(_ blob: Descriptor, from store: LearngeneStore, repository: String) async throws -> BlobPush {
        if try await blobExists(blob.digest, repository: repository) { return .present }
        var location: String?
        for source in RemoteOrigins.mountSources(blob.digest, registry: name, except: repository, in: store).prefix(3) {
            let response = try await client.send(
                .POST, client.url("/v2/\(repository)/blobs/uploads/?mount=\(blob.digest.description)&from=\(source)"),
                headers: ["Content-Length": "0"], scope: Self.pushScope(repository) + " repository:\(source):pull")
            await client.drain(response)
            if response.status == .created { return .mounted }
            if response.status == .accepted {
                location = response.headers.first(name: "Location")
                break
            }
        }
        try await upload(blob, file: store.layout.blob(blob.digest).path, repository: repository, location: location)
        return .uploaded
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`: 200 with the right size means present.
    private func blobExists(_ digest: Digest, repository: String) async throws -> Bool {
        let response = try await client.send(
            .HEAD, client.url("/v2/\(repository)/blobs/\(digest)"), scope: Self.pushScope(repository))
        await client.drain(response)
        return response.status == .ok
    }

    /// Starts an upload session (unless a mount attempt left one), sends the blob in one PUT or in PATCH chunks,
    /// and checks the registry's digest.
    private func upload(_ blob: Descriptor, file: String, repository: String, location existing: String?) async throws {
        let scope = Self.pushScope(repository)
        var location: String
        if let existing {
            location = existing
        } else {
            let response = try await client.send(
                .POST, client.url("/v2/\(repository)/blobs/uploads/"), headers: ["Content-Length": "0"], scope: scope)
            await client.drain(response)
            guard response.status == .accepted, let started = response.headers.first(name: "Location") else {
                throw RemoteError.rejected(
                    registry: name, status: Int(response.status.code),
                    detail: "no upload session for \(blob.digest.short)")
            }
            location = started
        }
        var offset = 0
        let chunk = client.options.chunkBytes
        if blob.size > chunk {
            while offset < blob.size {
                let length = min(chunk, blob.size - offset)
                let start = offset
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/octet-stream")
                headers.add(name: "Content-Range", value: "\(start)-\(start + length - 1)")
                headers.add(name: "Content-Length", value: "\(length)")
                let response = try await client.send(
                    .PATCH, absolute(location), headers: headers, scope: scope,
                    body: {
                        .stream(FileChunks(path: file, offset: start, length: length), length: .known(Int64(length)))
                    })
                await client.drain(response)
                guard response.status == .accepted, let next = response.headers.first(name: "Location") else {
                    throw RemoteError.rejected(
                        registry: name, status: Int(response.status.code),
                        detail: "chunk \(start)-\(start + length - 1) of \(blob.digest.short) refused")
                }
                location = next
                offset += length
                if offset < blob.size { CrashPoint.pushChunk.reached() }
            }
        }
        let remaining = blob.size - offset
        let start = offset
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        headers.add(name: "Content-Length", value: "\(remaining)")
        let separator = location.contains("?") ? "&" : "?"
        let response = try await client.send(
            .PUT, absolute(location) + "\(separator)digest=sha256%3A\(blob.digest.hex)", headers: headers, scope: scope,
            body: {
                remaining == 0
                    ? nil
                    : .stream(
                        FileChunks(path: file, offset: start, length: remaining), length: .known(Int64(remaining)))
            })
        let detail = response.status == .created ? "" : await client.errorDetail(response)
        await client.drain(response)
        guard response.status == .created else {
            throw RemoteError.rejected(
                registry: name, status: Int(response.status.code),
                detail: "upload of \(blob.digest.short) refused\(detail.isEmpty ? "" : ": \(detail)")")
        }
        if let said = response.headers.first(name: "Docker-Content-Digest"), Digest(said) != blob.digest {
            throw RemoteError.refused(
                what: "blob \(blob.digest)", reason: "the registry stored it as \(RemoteError.quoted(said))")
        }
    }

    /// An upload `Location` (often relative) as an absolute URL on this registry.
    private func absolute(_ location: String) -> String {
        URL(string: location, relativeTo: URL(string: client.base))?.absoluteURL.absoluteString ?? client.url(location)
    }

    /// Descriptors with each digest once, in order.
    static func unique(_ descriptors: [Descriptor]) -> [Descriptor] {
        var seen = Set<Digest>()
        return descriptors.filter { seen.insert($0.digest).inserted }
    }
}
