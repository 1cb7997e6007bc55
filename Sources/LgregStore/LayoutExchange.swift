import Foundation
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

/// What `lgreg push … oci:DIR` or `lgreg pull oci:DIR` copied (`Schemas/remote-output.schema.json`, report
/// `layout`).
public struct LayoutTransfer: Codable, Sendable {
    /// One manifest copied, under its tag.
    public struct Entry: Codable, Sendable {
        public var reference: String
        public var digest: String
        public var artifactType: String
    }

    /// The layout folder.
    public var folder: String
    /// `push` (store → folder) or `pull` (folder → store).
    public var direction: String
    /// The manifests copied, in the order they were tagged.
    public var entries: [Entry] = []
    /// Blobs written, and their bytes.
    public var copiedBlobs = 0, copiedBytes = 0
    /// Blobs the other side had already.
    public var presentBlobs = 0
    public var seconds = 0.0

    init(folder: URL, direction: String) {
        self.folder = folder.path
        self.direction = direction
    }
}

/// A plain OCI image layout folder outside any store, as skopeo, oras and crane read and write one (`oci:DIR`):
/// `oci-layout`, `index.json` naming each manifest by `org.opencontainers.image.ref.name` (lgreg's
/// `name:version` tag) and `blobs/sha256/<hex>`. It is how a set of entries travels without a registry — the
/// zoo ships its tuned Des-Nets in `Registry/` as one — and blobs shared by several entries are one file.
public struct OCILayoutFolder: Sendable {
    /// The folder.
    public let root: URL
    private var files: StoreLayout { StoreLayout(root: root) }

    public init(_ root: URL) { self.root = root.standardizedFileURL }

    /// Largest `index.json` or manifest read from a folder (as from a registry): 4 MiB.
    static let maxDocumentBytes = 4 << 20

    /// The folder's tags, checked: `oci-layout` is version 1.0.0 and `index.json` an image index.
    /// - Throws: `StoreError.corruptLayout` naming the file and what is wrong with it.
    func readIndex() throws -> ImageIndex {
        let layoutData = try readBounded(files.ociLayout)
        struct Version: Decodable { var imageLayoutVersion: String }
        guard (try? JSONDecoder().decode(Version.self, from: layoutData))?.imageLayoutVersion == "1.0.0" else {
            throw StoreError.corruptLayout(
                file: files.ociLayout.path,
                reason: "is not {\"imageLayoutVersion\": \"1.0.0\"}: not an OCI image layout lgreg reads")
        }
        let index = try OCIJSON.decode(
            ImageIndex.self, from: try readBounded(files.indexJSON), file: files.indexJSON.path)
        guard index.schemaVersion == 2 else {
            throw StoreError.corruptLayout(
                file: files.indexJSON.path, reason: "schemaVersion is \(index.schemaVersion), not 2")
        }
        return index
    }

    /// The bytes of manifest `descriptor`, at most 4 MiB and checked against its digest.
    func readManifest(_ descriptor: Descriptor) throws -> Data {
        let url = files.blob(descriptor.digest)
        let data = try readBounded(url)
        let actual = Digest.of(data)
        guard actual == descriptor.digest else {
            throw StoreError.digestMismatch(file: url.path, expected: descriptor.digest, actual: actual)
        }
        return data
    }

    /// A file of the folder, refused when it is missing, not a regular file or over 4 MiB.
    private func readBounded(_ url: URL) throws -> Data {
        do { return try RegularFile.contents(of: url, limit: Self.maxDocumentBytes) } catch {
            throw StoreError.corruptLayout(
                file: url.path,
                reason: "cannot be read as a manifest or index (at most \(Self.maxDocumentBytes) bytes): \(error)")
        }
    }

    /// The file holding blob `digest`.
    func blob(_ digest: Digest) -> URL { files.blob(digest) }

    /// Whether blob `digest` is there with `size` bytes.
    func hasBlob(_ digest: Digest, size: Int) -> Bool { files.hasBlob(digest, size: size) }

    /// Creates the folder as an empty layout when it is new or empty; a folder holding something other than a
    /// layout is refused, so that a typo never scatters blobs into someone's directory.
    func prepareForWriting() throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: files.ociLayout.path) {
            _ = try readIndex()
            return
        }
        let contents = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        guard contents.isEmpty else {
            throw FileSystemError(
                path: root.path,
                reason:
                    "holds files but no oci-layout: not an OCI image layout, and lgreg writes one only into a new or empty folder",
                kind: .refused)
        }
        do {
            try manager.createDirectory(at: files.blobsDirectory, withIntermediateDirectories: true)
            try AtomicFileWriter.write(try OCIJSON.encode(ImageIndex()), to: files.indexJSON)
            try AtomicFileWriter.write(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: files.ociLayout)
        } catch let error as StoreError { throw error } catch {
            throw StoreError.io(path: root.path, reason: "cannot create the layout: \(error)")
        }
    }

    /// Replaces `index.json` (atomically) with `index`.
    func writeIndex(_ index: ImageIndex) throws {
        do { try AtomicFileWriter.write(try OCIJSON.encode(index), to: files.indexJSON) } catch {
            throw StoreError.io(path: files.indexJSON.path, reason: "cannot write: \(error)")
        }
    }
}

extension LearngeneStore {
    /// Copies stored entries — learngenes, Des-Nets, tuned Des-Nets — into the OCI layout folder `folder` (made
    /// when new or empty) under their tags: each manifest with its config and layers, every blob read back from
    /// the store checked against its digest and written through a fsynced temp file renamed into place; blobs the
    /// folder has are kept. `index.json` is replaced last, so a reader sees the folder before the copy or after it.
    /// - Parameter entries: the manifests and the tags to give them in the folder.
    public func exportToLayout(_ entries: [(digest: Digest, reference: String)], folder: OCILayoutFolder) throws
        -> LayoutTransfer
    {
        let started = Date()
        var transfer = LayoutTransfer(folder: folder.root, direction: "push")
        try folder.prepareForWriting()
        var index = try folder.readIndex()
        for entry in entries {
            let manifestData = try layout.readBlob(entry.digest)
            let image = try OCIJSON.decode(ImageManifest.self, from: manifestData, file: layout.blob(entry.digest).path)
            let manifest = Descriptor(
                mediaType: OCIMediaType.imageManifest, digest: entry.digest, size: manifestData.count)
            for blob in [image.config] + image.layers + [manifest] {
                if folder.hasBlob(blob.digest, size: blob.size) {
                    transfer.presentBlobs += 1
                    continue
                }
                let data = blob.digest == entry.digest ? manifestData : try layout.readBlob(blob.digest)
                do { try AtomicFileWriter.write(data, to: folder.blob(blob.digest)) } catch {
                    throw StoreError.io(path: folder.blob(blob.digest).path, reason: "cannot write: \(error)")
                }
                transfer.copiedBlobs += 1
                transfer.copiedBytes += data.count
            }
            index.manifests.removeAll { $0.annotations?[OCIAnnotation.refName] == entry.reference }
            index.manifests.append(
                Descriptor(
                    mediaType: OCIMediaType.imageManifest, digest: entry.digest, size: manifestData.count,
                    artifactType: image.artifactType,
                    annotations: Self.identity(of: image).merging([OCIAnnotation.refName: entry.reference]) { $1 }))
            transfer.entries.append(
                .init(
                    reference: entry.reference, digest: entry.digest.description, artifactType: image.artifactType ?? ""
                ))
        }
        try folder.writeIndex(index)
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// Copies manifests tagged in the OCI layout folder `folder` into the store: every tag of the folder (`tags`
    /// nil) or the ones named, learngenes first and each derived artifact after the learngene it names as base
    /// (taken from the folder too when the store lacks it). Every blob the store lacks is streamed into
    /// `.lgreg/tmp`, checked for size and SHA-256, fsynced and moved into `blobs/`; each tag is written last,
    /// through the checks `lgreg pull` applies, so a damaged folder leaves the store as it was.
    /// - Parameter retag: the store tag for the first entry of `tags` (default: its tag in the folder).
    /// - Throws: `StoreError.notFound` for a tag the folder lacks, `.corruptLayout` or `.digestMismatch` naming
    ///   the folder's file that is wrong, `.baseMissing` for a base found nowhere.
    public func importFromLayout(_ folder: OCILayoutFolder, tags: [String]?, retag: String? = nil) throws
        -> LayoutTransfer
    {
        let started = Date()
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        var transfer = LayoutTransfer(folder: folder.root, direction: "pull")
        let index = try folder.readIndex()
        var selected: [Descriptor] =
            try tags.map { wanted in
                try wanted.map { tag in
                    guard let descriptor = index.tagged(tag) else {
                        throw StoreError.notFound(reference: "oci:\(folder.root.path):\(tag)")
                    }
                    return descriptor
                }
            } ?? index.manifests.filter { $0.annotations?[OCIAnnotation.refName] != nil }
        var manifests: [Digest: (data: Data, image: ImageManifest)] = [:]
        var position = 0
        while position < selected.count {
            let descriptor = selected[position]
            position += 1
            let data = try folder.readManifest(descriptor)
            let image = try OCIJSON.decode(ImageManifest.self, from: data, file: folder.blob(descriptor.digest).path)
            manifests[descriptor.digest] = (data, image)
            // A base the store lacks comes from the folder when the folder has it.
            if let base = image.annotations?[OCIAnnotation.baseDigest].flatMap({ Digest($0) }),
                (try? imageManifest(base)) == nil,
                !selected.contains(where: { $0.digest == base }),
                let baseDescriptor = index.manifests.first(where: { $0.digest == base })
            {
                selected.append(baseDescriptor)
            }
        }
        let ordered =
            selected.filter { manifests[$0.digest]?.image.artifactType == OCIMediaType.learngene }
            + selected.filter { manifests[$0.digest]?.image.artifactType != OCIMediaType.learngene }
        // Every base is checked before the first blob is copied.
        for descriptor in ordered {
            if let base = manifests[descriptor.digest]?.image.annotations?[OCIAnnotation.baseDigest].flatMap({
                Digest($0)
            }),
                manifests[base] == nil, (try? imageManifest(base)) == nil
            {
                throw StoreError.baseMissing(
                    label:
                        "oci:\(folder.root.path):\(descriptor.annotations?[OCIAnnotation.refName] ?? descriptor.digest.description)",
                    base: base)
            }
        }
        for descriptor in ordered {
            guard let (data, image) = manifests[descriptor.digest] else { continue }
            for blob in [image.config] + image.layers {
                if hasBlob(blob.digest, size: blob.size) {
                    transfer.presentBlobs += 1
                    continue
                }
                try copyIntoStore(folder.blob(blob.digest), blob: blob)
                transfer.copiedBlobs += 1
                transfer.copiedBytes += blob.size
            }
            let label = "oci:\(folder.root.path)@\(descriptor.digest)"
            let named = descriptor.annotations?[OCIAnnotation.refName]
            let tag =
                retag.flatMap { named == tags?.first ? $0 : nil }
                ?? named.flatMap { (try? Self.checkTag($0)) == nil ? nil : $0 }
            let ingested = try ingestManifest(data, tag: tag, label: label)
            transfer.entries.append(
                .init(
                    reference: ingested.reference, digest: ingested.digest.description,
                    artifactType: image.artifactType ?? ""))
        }
        transfer.seconds = Date().timeIntervalSince(started)
        return transfer
    }

    /// Streams `file` into a staging file of the store, hashing it on the way, and moves it into `blobs/` once its
    /// size and SHA-256 are `blob`'s.
    private func copyIntoStore(_ file: URL, blob: Descriptor) throws {
        let source: RegularFile
        do { source = try RegularFile(path: file.path) } catch {
            throw StoreError.corruptLayout(
                file: file.path, reason: "blob \(blob.digest.short) cannot be read: \(error)")
        }
        guard source.size == blob.size else {
            throw StoreError.corruptLayout(
                file: file.path, reason: "is \(source.size) bytes where its manifest says \(blob.size)")
        }
        let staging = layout.temporaryFile("layout-\(blob.digest.short)")
        var hasher = Digest.Hasher()
        do {
            let writer = try DurableFileWriter(url: staging)
            var buffer = [UInt8](repeating: 0, count: 4 << 20)
            var copied = 0
            // One byte past the size is asked for, so a file that grew since it was measured is caught.
            while copied <= blob.size {
                let n = buffer.withUnsafeMutableBytes {
                    read(source.descriptor, $0.baseAddress!, min($0.count, blob.size + 1 - copied))
                }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw FileSystemError(path: file.path, operation: "read") }
                if n == 0 { break }
                try buffer.withUnsafeBytes { chunk in
                    let part = UnsafeRawBufferPointer(rebasing: chunk[..<n])
                    hasher.update(part)
                    try writer.write(part)
                }
                copied += n
            }
            guard copied == blob.size else {
                throw StoreError.corruptLayout(
                    file: file.path, reason: "held \(copied) bytes while read, where its manifest says \(blob.size)")
            }
            try writer.finish()
        } catch {
            try? FileManager.default.removeItem(at: staging)
            if let error = error as? StoreError { throw error }
            throw StoreError.io(path: file.path, reason: "cannot copy into the store: \(error)")
        }
        let actual = hasher.finalize()
        guard actual == blob.digest else {
            try? FileManager.default.removeItem(at: staging)
            throw StoreError.digestMismatch(file: file.path, expected: blob.digest, actual: actual)
        }
        try adoptDownload(staging, digest: blob.digest, size: blob.size)
    }
}
