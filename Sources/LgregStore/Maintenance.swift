import Foundation
import GRDB
import LgregCore
#if canImport(Glibc)
import Glibc
#endif

extension LearngeneStore {
    /// Blobs every tag reaches: each tagged manifest, its config and its layers. Unreadable manifests reach
    /// only themselves (fsck reports them).
    func reachableBlobs() throws -> Set<Digest> {
        var marked = Set<Digest>()
        for descriptor in try readIndex().0.manifests {
            marked.insert(descriptor.digest)
            guard let image = try? imageManifest(descriptor.digest) else { continue }
            marked.insert(image.config.digest)
            for layer in image.layers { marked.insert(layer.digest) }
        }
        return marked
    }

    /// Mark and sweep: deletes blobs no tag reaches once they are older than `grace` seconds, and temp files
    /// older than `grace`. Holds the exclusive store lock, so no publish is in flight while it sweeps.
    /// - Warning: unless `dryRun`, this deletes data: untagged learngenes are gone for good.
    public func collectGarbage(grace: TimeInterval, dryRun: Bool) throws -> GCReport {
        let lock = try FileLock(layout.writerLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        let marked = try reachableBlobs()
        let cutoff = Date().timeIntervalSince1970 - grace
        var report = GCReport(blobs: [], bytes: 0, sparedYoung: 0, tempFiles: 0, dryRun: dryRun)
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
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.tmpDirectory.path)) ?? [] {
            let url = layout.tmpDirectory.appendingPathComponent(name)
            var status = stat()
            guard stat(url.path, &status) == 0, Double(status.st_mtim.tv_sec) <= cutoff else { continue }
            report.tempFiles += 1
            if !dryRun { try? FileManager.default.removeItem(at: url) }
        }
        if !dryRun { StoreLayout.syncDirectory(layout.blobsDirectory) }
        return report
    }

    /// Re-hashes every blob, moving one whose content does not match its name to `.lgreg/quarantine/`, then
    /// checks every tagged manifest: its blobs present, its config a valid learngene manifest whose files are
    /// the manifest's layers. The database's derived tables are rebuilt from the layout afterwards
    /// (`rebuildIndex` only records that the caller asked; a database that does not open at all is set aside
    /// and rebuilt when the store opens).
    /// Every verdict is recorded in the `verifications` table.
    /// - Parameter progress: called after each blob with (blobs done, blobs in all), for a terminal display.
    public func check(rebuildIndex: Bool, progress: ((Int, Int) -> Void)? = nil) throws -> FsckReport {
        let lock = try FileLock(layout.writerLock, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var report = FsckReport(blobsChecked: 0, bytesChecked: 0, manifestsChecked: 0, problems: [], rebuiltIndex: rebuildIndex)
        var verdicts: [(String, Bool, String?)] = []
        let fm = FileManager.default
        func quarantine(_ url: URL, _ reason: String) {
            let target = layout.quarantineDirectory.appendingPathComponent("\(url.lastPathComponent).\(Int(Date().timeIntervalSince1970))")
            let moved = rename(url.path, target.path) == 0
            report.problems.append(.init(subject: url.path, reason: reason, quarantinedTo: moved ? target.path : nil))
        }
        let names = ((try? fm.contentsOfDirectory(atPath: layout.blobsDirectory.path)) ?? []).sorted()
        for (done, name) in names.enumerated() {
            defer { progress?(done + 1, names.count) }
            let url = layout.blobsDirectory.appendingPathComponent(name)
            guard let digest = Digest(hex: name) else {
                quarantine(url, "is not named by a SHA-256 digest")
                continue
            }
            let (actual, size) = try layout.hashBlob(digest)
            report.blobsChecked += 1
            report.bytesChecked += size
            if actual != digest {
                quarantine(url, "content hashes to \(actual)")
                verdicts.append((digest.description, false, "hashes to \(actual)"))
            } else {
                verdicts.append((digest.description, true, nil))
            }
        }
        let (index, _) = try readIndex()
        for descriptor in index.manifests {
            report.manifestsChecked += 1
            let tag = descriptor.annotations?[OCIAnnotation.refName] ?? descriptor.digest.description
            do {
                let image = try imageManifest(descriptor.digest)
                for blob in [image.config] + image.layers {
                    var status = stat()
                    guard stat(layout.blob(blob.digest).path, &status) == 0 else { throw StoreError.missingBlob(blob.digest) }
                    guard Int(status.st_size) == blob.size else {
                        throw StoreError.corruptLayout(file: layout.blob(blob.digest).path, reason: "is \(status.st_size) bytes, the manifest says \(blob.size)")
                    }
                }
                if image.artifactType == OCIMediaType.learngene { _ = try resolve(descriptor.digest.description) }
            } catch {
                report.problems.append(.init(subject: "tag \(tag) (\(descriptor.digest.short))", reason: "\(error)", quarantinedTo: nil))
            }
        }
        try syncDatabase(force: true)
        let checked = Self.now()
        try database.write { db in
            for (subject, ok, detail) in verdicts {
                try db.execute(sql: "INSERT INTO verifications (digest, checked, ok, detail) VALUES (?, ?, ?, ?)",
                               arguments: [subject, checked, ok, detail])
            }
        }
        return report
    }

    /// Records a verdict on a learngene reached from outside fsck (`lgreg verify`) in the `verifications` table.
    public func recordVerification(_ digest: Digest, ok: Bool, detail: String) throws {
        let checked = Self.now()
        try database.write { db in
            try db.execute(sql: "INSERT INTO verifications (digest, checked, ok, detail) VALUES (?, ?, ?, ?)",
                           arguments: [digest.description, checked, ok, detail])
        }
    }
}
