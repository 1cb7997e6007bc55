import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

extension LearngeneStore {
    /// Blobs the manifests `digests` reach: each manifest, its config and its layers, and what a derived
    /// manifest derives from (`org.opencontainers.image.base.digest`), down to its learngene. An unreadable
    /// manifest reaches only itself (fsck reports it).
    func blobsReached(from digests: [Digest]) -> Set<Digest> {
        var marked = Set<Digest>()
        var pending = digests
        while let digest = pending.popLast() {
            guard marked.insert(digest).inserted, let image = try? imageManifest(digest) else { continue }
            marked.insert(image.config.digest)
            for layer in image.layers { marked.insert(layer.digest) }
            if let base = image.annotations?[OCIAnnotation.baseDigest].flatMap({ Digest($0) }),
                access(layout.blob(base).path, F_OK) == 0
            {
                pending.append(base)
            }
        }
        return marked
    }

    /// Every intact lgreg manifest among the blobs (learngene or derived, tagged or not), found by reading the
    /// small JSON blobs, with its size.
    func storedManifests() -> [(digest: Digest, image: ImageManifest, size: Int)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.blobsDirectory.path)) ?? []).sorted()
        return names.compactMap { name in
            var status = stat()
            guard let digest = Digest(hex: name), stat(layout.blob(digest).path, &status) == 0,
                status.st_mode & S_IFMT == S_IFREG,
                status.st_size < 1 << 20, let data = try? layout.readBlob(digest), data.first == UInt8(ascii: "{"),
                let image = try? StrictJSONDecoder().decode(ImageManifest.self, from: data),
                image.mediaType == OCIMediaType.imageManifest, image.artifactType != nil
            else { return nil }
            return (digest, image, data.count)
        }
    }

    /// The tag a manifest would get back: a learngene's own `name:version` from its config, a derived
    /// artifact's tag recorded in its annotations.
    func ownReference(of image: ImageManifest) -> String? {
        let reference: String?
        if image.artifactType == OCIMediaType.learngene {
            reference =
                (try? LearngeneManifest.decode(
                    try layout.readBlob(image.config.digest), path: layout.blob(image.config.digest).path))?.reference
        } else {
            reference = image.annotations?[OCIAnnotation.refName]
        }
        return reference.flatMap { (try? Self.checkTag($0)) == nil ? nil : $0 }
    }

    /// Mark and sweep (`blobsKept`): deletes blobs no tag reaches once they are older than `grace` seconds, except the
    /// blobs of untagged learngene manifests unless `pruneDangling`; removes temp entries whose owner process
    /// is gone, unowned ones older than `grace`, and partial downloads (`.lgreg/downloads`) older than `grace`. Holds the exclusive store lock, so no write is in flight.
    /// - Throws: `StoreError.corruptIndex` when `index.json` cannot be read (nothing is swept then).
    /// - Warning: unless `dryRun`, this deletes data; with `pruneDangling`, untagged learngenes are gone for good.
    public func collectGarbage(grace: TimeInterval, dryRun: Bool, pruneDangling: Bool = false) throws -> GCReport {
        let lock = try lockForWriting(exclusive: true, sweepStaging: false)
        defer { withExtendedLifetime(lock) {} }
        let (marked, _, danglingKept) = try blobsKept(pruneDangling: pruneDangling)
        var report = GCReport(
            blobs: [], bytes: 0, sparedYoung: 0, tempFiles: 0, danglingKept: danglingKept, dryRun: dryRun)
        let cutoff = Date().timeIntervalSince1970 - grace
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.blobsDirectory.path)) ?? []
        for name in names.sorted() {
            guard let digest = Digest(hex: name), !marked.contains(digest) else { continue }
            var status = stat()
            guard stat(layout.blob(digest).path, &status) == 0 else { continue }
            if Double(status.st_mtim.tv_sec) > cutoff {
                report.sparedYoung += 1
                continue
            }
            report.blobs.append(digest)
            report.bytes += Int(status.st_size)
            if !dryRun { unlink(layout.blob(digest).path) }
        }
        if !dryRun { report.tempFiles += layout.removeAbandonedStaging() }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.tmpDirectory.path)) ?? []
        where TemporaryName.owner(of: name) == nil {
            let url = layout.tmpDirectory.appendingPathComponent(name)
            var status = stat()
            guard stat(url.path, &status) == 0, Double(status.st_mtim.tv_sec) <= cutoff else { continue }
            report.tempFiles += 1
            if !dryRun { try? FileManager.default.removeItem(at: url) }
        }
        // A pull interrupted longer ago than the grace period is not coming back: its partial downloads go (no
        // pull is in flight, since a pull holds the store lock shared).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: downloadsDirectory.path)) ?? [] {
            let url = downloadsDirectory.appendingPathComponent(name)
            var status = stat()
            guard stat(url.path, &status) == 0, Double(status.st_mtim.tv_sec) <= cutoff else { continue }
            report.tempFiles += 1
            if !dryRun { try? FileManager.default.removeItem(at: url) }
        }
        if !dryRun { StoreLayout.syncDirectory(layout.blobsDirectory) }
        return report
    }

    /// Checks everything and reports every problem: re-hashes every blob (moving one whose content does not
    /// match its name, or that is no regular file, to `.lgreg/quarantine/`; reporting one it cannot read), reads
    /// `index.json`, checks every tag (its manifest, config and layers present and intact, its recorded identity
    /// and size matching the manifest), and lists the untagged (dangling) manifests. The database is rebuilt
    /// from the layout afterwards and every verdict recorded in `verifications`.
    ///
    /// With `rebuildIndex`, a missing or unreadable `index.json` is set aside and written anew from the manifests
    /// in `blobs/`: each learngene under its own `name:version` (the latest when several share one), each derived
    /// artifact under the tag recorded in it; a readable one loses the tags whose manifest blob is gone.
    /// - Parameter progress: called after each blob with (blobs done, blobs in all), for a terminal display.
    public func check(rebuildIndex: Bool, progress: ((Int, Int) -> Void)? = nil) throws -> FsckReport {
        let lock = try lockForWriting(exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var report = FsckReport(
            blobsChecked: 0, bytesChecked: 0, manifestsChecked: 0, problems: [], rebuiltIndex: rebuildIndex,
            dangling: [], restoredTags: [])
        var verdicts: [VerificationRecord] = []
        var intact: [VerifiedBlobRecord] = []
        let checked = Self.now()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.blobsDirectory.path)) ?? []).sorted()
        for (done, name) in names.enumerated() {
            defer { progress?(done + 1, names.count) }
            let url = layout.blobsDirectory.appendingPathComponent(name)
            guard let digest = Digest(hex: name) else {
                report.problems.append(quarantine(url, "is not named by a SHA-256 digest"))
                continue
            }
            guard let identity = VerifiedBlobRecord(digest: digest, path: url.path) else {
                report.problems.append(quarantine(url, "is not a regular file"))
                continue
            }
            let actual: Digest
            do { (actual, _) = try layout.hashBlob(digest) } catch {
                report.problems.append(.init(subject: url.path, reason: "cannot be read: \(error)", quarantinedTo: nil))
                continue
            }
            report.blobsChecked += 1
            report.bytesChecked += Int(identity.size)
            if actual != digest {
                report.problems.append(quarantine(url, "content hashes to \(actual)"))
                verdicts.append(
                    VerificationRecord(
                        id: nil, digest: digest.description, checked: checked, ok: false, detail: "hashes to \(actual)")
                )
            } else {
                verdicts.append(
                    VerificationRecord(id: nil, digest: digest.description, checked: checked, ok: true, detail: nil))
                intact.append(identity)
            }
        }
        let found = storedManifests()
        var index: ImageIndex?
        do { index = try readIndex().0 } catch let StoreError.corruptIndex(file, reason) {
            if rebuildIndex {
                report.restoredTags = try writeIndex(from: found)
                index = try readIndex().0
            } else {
                report.problems.append(
                    .init(
                        subject: file,
                        reason: "\(reason); `lgreg fsck --rebuild-index` rebuilds it from the manifests in blobs/",
                        quarantinedTo: nil))
            }
        }
        if rebuildIndex, let current = index,
            current.manifests.contains(where: { access(layout.blob($0.digest).path, F_OK) != 0 })
        {
            for (tag, digest) in try removeTagsWithoutManifest() {
                report.problems.append(
                    .init(
                        subject: "tag \(tag) (\(digest.short))",
                        reason: "its manifest blob is missing; "
                            + "the tag was removed", quarantinedTo: nil))
            }
            index = try readIndex().0
        }
        for descriptor in index?.manifests ?? [] {
            report.manifestsChecked += 1
            if let problem = problem(with: descriptor) { report.problems.append(problem) }
        }
        let tagged = Set(index?.manifests.map(\.digest) ?? [])
        report.dangling = found.filter { !tagged.contains($0.digest) }.map {
            FsckReport.Dangling(
                digest: $0.digest, artifactType: $0.image.artifactType ?? "", reference: ownReference(of: $0.image))
        }
        guard index != nil else { return report }
        do {
            try rebuildCache()
            try database().write { db in
                for verdict in verdicts { try verdict.insert(db) }
                for identity in intact { try identity.save(db) }
            }
        } catch {
            warn("fsck's verdicts were not recorded in the index database: \(error)")
        }
        return report
    }

    /// Moves a damaged file to the quarantine and says so.
    private func quarantine(_ url: URL, _ reason: String) -> FsckReport.Problem {
        let target = layout.quarantineDirectory.appendingPathComponent(
            "\(url.lastPathComponent).\(Int(Date().timeIntervalSince1970))")
        let moved = rename(url.path, target.path) == 0
        return .init(
            subject: url.path,
            reason: reason + (moved ? "" : " (could not be moved: \(String(cString: strerror(errno))))"),
            quarantinedTo: moved ? target.path : nil)
    }

    /// What is wrong with a tag: its manifest, config or layers missing or damaged, or the manifest not the
    /// one the tag was made for (its recorded identity or size differs); nil when nothing.
    private func problem(with descriptor: Descriptor) -> FsckReport.Problem? {
        let tag = descriptor.annotations?[OCIAnnotation.refName] ?? descriptor.digest.description
        func problem(_ reason: String) -> FsckReport.Problem {
            .init(subject: "tag \(tag) (\(descriptor.digest.short))", reason: reason, quarantinedTo: nil)
        }
        do {
            let image = try imageManifest(descriptor.digest)
            let identity = Self.identity(of: image)
            for (key, value) in descriptor.annotations ?? [:]
            where Self.identityKeys.contains(key) && identity[key] != value {
                return problem(
                    "the tag was made for \(key) '\(value)' but points at a manifest with '\(identity[key] ?? "none")'")
            }
            if descriptor.artifactType != nil, descriptor.artifactType != image.artifactType {
                return problem(
                    "the tag says artifactType \(descriptor.artifactType ?? ""), the manifest \(image.artifactType ?? "none")"
                )
            }
            for blob in [image.config] + image.layers {
                var status = stat()
                guard stat(layout.blob(blob.digest).path, &status) == 0 else {
                    throw StoreError.missingBlob(blob.digest)
                }
                guard Int(status.st_size) == blob.size else {
                    throw StoreError.corruptLayout(
                        file: layout.blob(blob.digest).path,
                        reason: "is \(status.st_size) bytes, the manifest says \(blob.size)")
                }
            }
            if image.artifactType == OCIMediaType.learngene { _ = try resolve(descriptor.digest.description) }
            return nil
        } catch {
            return problem("\(error)")
        }
    }

    /// Removes from `index.json` the tags whose manifest blob is gone (deleted, or quarantined as damaged), which
    /// nothing can read any more. Returns them.
    private func removeTagsWithoutManifest() throws -> [(tag: String, digest: Digest)] {
        try updateIndex { index in
            let gone = index.manifests.filter { access(layout.blob($0.digest).path, F_OK) != 0 }
            index.manifests.removeAll { access(layout.blob($0.digest).path, F_OK) != 0 }
            return gone.map { ($0.annotations?[OCIAnnotation.refName] ?? $0.digest.description, $0.digest) }
        }
    }

    /// Writes a new `index.json` from the manifests found in `blobs/` (the old one, if any, set aside in the
    /// quarantine). Returns the tags written.
    private func writeIndex(from found: [(digest: Digest, image: ImageManifest, size: Int)]) throws -> [String] {
        let lock = try FileLock(layout.indexLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var chosen: [String: (descriptor: Descriptor, learngene: Bool, created: String, written: Int)] = [:]
        for (digest, image, size) in found {
            guard let reference = ownReference(of: image) else { continue }
            let learngene = image.artifactType == OCIMediaType.learngene
            // An older store's manifests say when they were published; newer ones name content only, and the
            // time their blob was written decides.
            let created = image.annotations?[OCIAnnotation.created] ?? ""
            var status = stat()
            let written = stat(layout.blob(digest).path, &status) == 0 ? Int(status.st_mtim.tv_sec) : 0
            if let other = chosen[reference],
                (other.learngene ? 1 : 0, other.created, other.written) >= (learngene ? 1 : 0, created, written)
            {
                continue
            }
            chosen[reference] = (
                Descriptor(
                    mediaType: OCIMediaType.imageManifest, digest: digest, size: size, artifactType: image.artifactType,
                    annotations: Self.identity(of: image).merging([OCIAnnotation.refName: reference]) { $1 }),
                learngene, created, written
            )
        }
        if access(layout.indexJSON.path, F_OK) == 0 {
            let aside = layout.quarantineDirectory.appendingPathComponent(
                "index.json.\(Int(Date().timeIntervalSince1970))")
            guard rename(layout.indexJSON.path, aside.path) == 0 else {
                throw StoreError.io(path: layout.indexJSON.path, doing: "cannot set aside", errno: errno)
            }
        }
        let tags = chosen.keys.sorted()
        try layout.writeFileAtomically(
            try OCIJSON.encode(ImageIndex(manifests: tags.compactMap { chosen[$0]?.descriptor })), to: layout.indexJSON)
        return tags
    }

    /// Records a verdict on a learngene reached from outside fsck (`lgreg verify`) in the `verifications` table.
    /// Best effort: on a store that cannot be written the verdict is only warned about.
    public func recordVerification(_ digest: Digest, ok: Bool, detail: String) {
        let record = VerificationRecord(
            id: nil, digest: digest.description, checked: Self.now(), ok: ok, detail: detail)
        do { try database().write { try record.insert($0) } } catch {
            warn("the verdict on \(digest.short) was not recorded: \(error)")
        }
    }
}
