import AsyncHTTPClient
import Foundation
import LgregCore
import LgregStore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

extension Registry {
    /// Pulls `reference` (by tag or digest) into `store`: the manifest (bounded, checked), its config (at most 4 MiB,
    /// a valid learngene manifest whose files the architecture bounds), every layer descriptor checked against
    /// the config before a byte of a layer is fetched, then every blob the store lacks, each streamed to
    /// `.lgreg/downloads` (resumed with an HTTP `Range` where an earlier run stopped) and checked for size and
    /// SHA-256. The blobs enter `blobs/` only when the whole entry checked out, and the tag last, through the
    /// store's own tagging, so `list` shows nothing until everything is in and a refusal leaves the store as it
    /// was. With `withReferrers` the learngene's derived artifacts (Des-Nets) follow, each under its own tag.
    public func pull(
        _ reference: RegistryReference, into store: LearngeneStore, tag: String?, withReferrers: Bool,
        progress: (@Sendable (TransferProgress) -> Void)? = nil
    ) async throws -> PullReport {
        let started = Date()
        let lease = try store.leaseForWriting()
        defer { withExtendedLifetime(lease) {} }
        let repository = reference.repository
        guard
            let manifest = try await fetchManifest(repository, reference.manifestReference, expected: reference.digest)
        else {
            throw RemoteError.notFound("\(reference)")
        }
        let image = try decodeManifest(manifest.data, what: "\(reference)")
        guard image.artifactType == OCIMediaType.learngene else {
            throw RemoteError.refused(
                what: "\(reference)",
                reason:
                    "artifactType '\(RemoteError.quoted(image.artifactType ?? "none"))' is not a learngene (\(OCIMediaType.learngene))"
            )
        }
        var report = PullReport(
            source: "\(name)/\(repository)@\(manifest.digest)", digest: manifest.digest.description, tag: "")
        var staged = StagedDownloads(store: store)
        do {
            let config = try await stage(
                image.config, isConfig: true, repository: repository, into: &staged,
                report: &report)
            try Self.checkLayers(of: image, against: config, what: "\(reference)")
            var referrers: [(data: Data, digest: Digest, image: ImageManifest)] = []
            if withReferrers {
                for descriptor in try await listReferrers(of: manifest.digest, repository: repository) {
                    guard
                        let artifact = try await fetchManifest(
                            repository, descriptor.digest.description, expected: descriptor.digest)
                    else { continue }
                    let artifactImage = try decodeManifest(
                        artifact.data, what: "\(name)/\(repository)@\(descriptor.digest)")
                    guard artifactImage.subject?.digest == manifest.digest else { continue }
                    referrers.append((artifact.data, artifact.digest, artifactImage))
                }
            }
            let blobs = Self.unique(
                [image.config] + image.layers + referrers.flatMap { [$0.image.config] + $0.image.layers })
            let configs = Set(referrers.map(\.image.config.digest))
            var done = TransferProgress(
                bytes: 0, totalBytes: blobs.reduce(0) { $0 + $1.size }, blobs: 0, totalBlobs: blobs.count)
            for blob in blobs {
                if blob.digest != image.config.digest {
                    try await stage(
                        blob, isConfig: configs.contains(blob.digest), repository: repository,
                        into: &staged, report: &report
                    ) { bytes in
                        var now = done
                        now.bytes += bytes
                        progress?(now)
                    }
                }
                done.blobs += 1
                done.bytes += blob.size
                progress?(done)
            }
            try staged.adoptAll()
            CrashPoint.pullBlobs.reached()
            let ingested = try store.ingestManifest(manifest.data, tag: tag, label: "\(reference)")
            report.tag = ingested.reference
            for artifact in referrers {
                let recorded = try store.ingestManifest(
                    artifact.data, label: "\(name)/\(repository)@\(artifact.digest)")
                report.referrers.append(.init(digest: recorded.digest.description, tag: recorded.reference))
            }
            RemoteOrigins.record(blobs.map(\.digest), registry: name, repository: repository, in: store)
        } catch let error as RemoteError {
            // Refused: nothing of this entry stays, not even the blobs that checked out on their own.
            if case .refused = error { staged.discardAll() }
            throw error
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Brings `blob` into staging unless the store has it, counting it in `report`; returns its bytes when it is a
    /// config, which is refused before it is fetched when it declares more than 4 MiB (as a manifest may have).
    @discardableResult
    private func stage(
        _ blob: Descriptor, isConfig: Bool, repository: String, into staged: inout StagedDownloads,
        report: inout PullReport, progress: (Int) -> Void = { _ in }
    ) async throws -> Data? {
        if isConfig, blob.size > RegistryClient.manifestLimit {
            throw RemoteError.refused(
                what: "config \(blob.digest) of \(name)/\(repository)",
                reason: "it declares "
                    + "\(blob.size) bytes, more than the \(RegistryClient.manifestLimit >> 20) MiB a config may have")
        }
        if staged.store.hasBlob(blob.digest, size: blob.size) {
            report.presentBlobs += 1
            return isConfig ? try staged.store.blobBytes(blob.digest) : nil
        }
        let download = try await self.download(blob, repository: repository, into: staged.store, progress: progress)
        staged.add(download)
        guard let download else {
            report.presentBlobs += 1
            return isConfig ? try staged.store.blobBytes(blob.digest) : nil
        }
        report.downloadedBlobs += 1
        report.downloadedBytes += download.fetched
        if download.resumed { report.resumedBlobs += 1 }
        return isConfig ? try download.contents() : nil
    }

    /// A learngene's layers must be the files its config lists, whose sizes its architecture bounds: a manifest that
    /// says otherwise is refused before a byte of a layer is fetched.
    static func checkLayers(of image: ImageManifest, against config: Data?, what: String) throws {
        do {
            _ = try LearngeneStore.learngeneConfig(
                of: image, config: config ?? Data(), label: "config \(image.config.digest.short)")
        } catch {
            throw RemoteError.refused(what: what, reason: "\(error)")
        }
    }

    /// The referrers of `subject`: the referrers API where the registry has one, else the `sha256-<hex>` tag.
    func listReferrers(of subject: Digest, repository: String) async throws -> [Descriptor] {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: OCIMediaType.imageIndex)
        let response = try await client.send(
            .GET, client.url("/v2/\(repository)/referrers/\(subject)"), headers: headers,
            scope: Self.pullScope(repository))
        var data: Data?
        if response.status == .ok {
            data = try await client.read(response, what: "\(name)/\(repository) referrers of \(subject.short)")
        } else {
            await client.drain(response)
            data = try await fetchManifest(repository, "sha256-\(subject.hex)", expected: nil, acceptIndex: true)?.data
        }
        guard let data else { return [] }
        guard let index = try? JSONDecoder().decode(ImageIndex.self, from: data) else {
            throw RemoteError.refused(
                what: "\(name)/\(repository) referrers of \(subject.short)", reason: "not an OCI image index")
        }
        return index.manifests.filter { $0.mediaType == OCIMediaType.imageManifest }
    }

    private func decodeManifest(_ data: Data, what: String) throws -> ImageManifest {
        guard let image = try? JSONDecoder().decode(ImageManifest.self, from: data), image.schemaVersion == 2,
            image.mediaType == OCIMediaType.imageManifest
        else {
            throw RemoteError.refused(
                what: what, reason: "not an OCI image manifest (schemaVersion 2, \(OCIMediaType.imageManifest))")
        }
        for blob in [image.config] + image.layers where blob.size < 0 {
            throw RemoteError.refused(what: what, reason: "blob \(blob.digest.short) has a negative size")
        }
        return image
    }

    /// Streams blob `blob` into its partial-download file, resuming from what an earlier run left, and checks its
    /// size and SHA-256; the file stays locked and in `.lgreg/downloads` until the caller adopts or discards it.
    /// A blob of the wrong size or content is deleted, never kept; a connection that drops keeps what arrived for
    /// the next run. Returns nil when another pull stored the blob meanwhile.
    private func download(
        _ blob: Descriptor, repository: String, into store: LearngeneStore,
        progress: (Int) -> Void
    ) async throws -> StagedDownload? {
        let partial = try store.partialDownload(of: blob.digest)
        // Two pulls of one blob take turns on the file's lock; the second finds it stored.
        let fd = try Self.openLocked(partial.path)
        let staged = StagedDownload(fd: fd, file: partial, digest: blob.digest, size: blob.size)
        do {
            if store.hasBlob(blob.digest, size: blob.size) {
                staged.discardIfEmpty()
                return nil
            }
            try await fill(staged, with: blob, repository: repository, progress: progress)
            return staged
        } catch {
            // A file this run made and nothing went into (a refused redirect, a registry that answered no body).
            staged.discardIfEmpty()
            throw error
        }
    }

    /// Fetches what `staged` lacks of its blob, and checks its size and SHA-256 (see `download`).
    private func fill(
        _ staged: StagedDownload, with blob: Descriptor, repository: String,
        progress: (Int) -> Void
    ) async throws {
        let (fd, partial) = (staged.fd, staged.file)
        let what = "blob \(blob.digest) of \(name)/\(repository)"
        var have = Int(lseek(fd, 0, SEEK_END))
        if have > blob.size {
            ftruncate(fd, 0)
            have = 0
        }
        var hasher = Digest.Hasher()
        if have > 0 { have = try hashPrefix(fd, count: have, into: &hasher, path: partial.path) }
        let resumed = have > 0
        var fetched = 0
        if have < blob.size {
            var headers = HTTPHeaders()
            if have > 0 { headers.add(name: "Range", value: "bytes=\(have)-") }
            let response = try await client.getBlob(
                "/v2/\(repository)/blobs/\(blob.digest)", headers: headers, scope: Self.pullScope(repository))
            switch response.status {
            case .partialContent
            where have > 0 && response.headers.first(name: "Content-Range")?.hasPrefix("bytes \(have)-") == true:
                break
            case .ok:
                if have > 0 {
                    ftruncate(fd, 0)
                    lseek(fd, 0, SEEK_SET)
                    have = 0
                    hasher = Digest.Hasher()
                }
            case .notFound:
                await client.drain(response)
                throw RemoteError.notFound(what)
            default:
                let detail = await client.errorDetail(response)
                throw RemoteError.rejected(registry: name, status: Int(response.status.code), detail: detail)
            }
            if let declared = response.headers.first(name: "Content-Length").flatMap({ Int($0) }),
                declared != blob.size - have
            {
                await client.drain(response)
                staged.discard()
                throw RemoteError.refused(
                    what: what,
                    reason: "the registry sends \(declared) bytes, the manifest declares \(blob.size - have) more")
            }
            let clock = client.limits.body(what, registry: name)
            do {
                for try await buffer in response.body {
                    guard have + buffer.readableBytes <= blob.size else {
                        staged.discard()
                        throw RemoteError.refused(
                            what: what,
                            reason: "the registry sent more than the \(blob.size) bytes the manifest declares")
                    }
                    try buffer.withUnsafeReadableBytes { bytes in
                        hasher.update(bytes)
                        var offset = 0
                        while offset < bytes.count {
                            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                            if n < 0, errno == EINTR { continue }
                            guard n > 0 else {
                                throw RemoteError.io(
                                    path: partial.path, reason: "cannot write: \(String(cString: strerror(errno)))")
                            }
                            offset += n
                        }
                    }
                    have += buffer.readableBytes
                    fetched += buffer.readableBytes
                    progress(fetched)
                    if have * 2 >= blob.size { CrashPoint.pullHalfBlob.reached() }
                    try clock.check(received: fetched)
                }
            } catch let error as RemoteError {
                if case .unreachable(let registry, let reason) = error {
                    let kept = "\(have) of \(blob.size) bytes kept, run again to resume"
                    throw RemoteError.unreachable(registry: registry, reason: "\(reason); \(kept)")
                }
                throw error
            } catch {
                throw RemoteError.unreachable(
                    registry: name,
                    reason:
                        "\(RegistryClient.describe(error)) after \(have) of \(blob.size) bytes of \(blob.digest.short); run again to resume"
                )
            }
            guard have == blob.size else {
                staged.discard()
                throw RemoteError.refused(
                    what: what, reason: "the registry sent \(have) bytes, the manifest declares \(blob.size)")
            }
        }
        let actual = hasher.finalize()
        guard actual == blob.digest else {
            staged.discard()
            throw RemoteError.refused(what: what, reason: "its content hashes to \(actual)")
        }
        guard fsync(fd) == 0 else {
            throw RemoteError.io(path: partial.path, reason: "fsync: \(String(cString: strerror(errno)))")
        }
        staged.fetched = fetched
        staged.resumed = resumed
    }

    /// Opens `path` (created when missing, its folder too) and holds an exclusive lock on it; opens it again when
    /// the file it locked was moved into `blobs/` or removed while it waited.
    private static func openLocked(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if fd < 0, errno == ENOENT,
                mkdir((path as NSString).deletingLastPathComponent, 0o755) == 0 || errno == EEXIST
            {
                continue
            }
            guard fd >= 0 else { throw RemoteError.io(path: path, reason: String(cString: strerror(errno))) }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let reason = "cannot lock: \(String(cString: strerror(errno)))"
                    Glibc.close(fd)
                    throw RemoteError.io(path: path, reason: reason)
                }
            }
            var locked = stat()
            var current = stat()
            if fstat(fd, &locked) == 0, stat(path, &current) == 0, locked.st_ino == current.st_ino,
                locked.st_dev == current.st_dev
            {
                return fd
            }
            Glibc.close(fd)
        }
    }

    /// Feeds the first `count` bytes of the file to `hasher`; returns how many there were.
    private func hashPrefix(_ fd: Int32, count: Int, into hasher: inout Digest.Hasher, path: String) throws -> Int {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < count {
            let n = buffer.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, min($0.count, count - offset), off_t(offset))
            }
            guard n > 0 else {
                if n < 0 {
                    throw RemoteError.io(path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
                }
                break
            }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += n
        }
        ftruncate(fd, off_t(offset))
        lseek(fd, off_t(offset), SEEK_SET)
        return offset
    }
}
