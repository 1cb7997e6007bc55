import Foundation
import LgregArchive
import LgregCore

#if canImport(Glibc)
    import Glibc
#endif

extension LearngeneStore {
    /// Tags the manifest `source` resolves to as `reference` (`name:version`). A full digest (`sha256:<hex>`)
    /// may name an untagged manifest too, which is how a dangling learngene is tagged again.
    @discardableResult
    public func tag(_ source: String, as reference: String) throws -> Digest {
        try Self.checkTag(reference)
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        let stored = Digest(source).flatMap { access(layout.blob($0).path, F_OK) == 0 ? $0 : nil }
        let digest = try stored ?? resolveDigest(source)
        let image = try imageManifest(digest)
        let size = try layout.readBlob(digest).count
        _ = try tagManifest(
            Descriptor(mediaType: OCIMediaType.imageManifest, digest: digest, size: size),
            artifactType: image.artifactType ?? "",
            identity: Self.identity(of: image), reference: reference, replacing: false, sameContent: { $0 == digest })
        syncAfterCommit()
        return digest
    }

    /// Removes tags: the tag `reference`, every version of a `name`, or every tag of a digest prefix. Blobs
    /// stay until `gc` (a learngene's until `gc --prune-dangling`). Returns the tags removed.
    @discardableResult
    public func remove(_ reference: String) throws -> [String] {
        try remove(tags: try tags(matching: reference))
    }

    /// Removes the tags `tags` (those not present are skipped) in one rewrite of `index.json`; returns them sorted.
    @discardableResult
    public func remove(tags: [String]) throws -> [String] {
        let lock = try lockForWriting(exclusive: false)
        defer { withExtendedLifetime(lock) {} }
        try updateIndex { index in
            index.manifests.removeAll { tags.contains($0.annotations?[OCIAnnotation.refName] ?? "") }
        }
        syncAfterCommit()
        return tags.sorted()
    }

    /// The tags `remove(reference)` removes: the tag itself, every version of a name, or every tag of a digest
    /// prefix.
    /// - Throws: `StoreError.notFound`, `.ambiguous`, `.invalidReference`.
    public func tags(matching reference: String) throws -> [String] {
        let (index, _) = try readIndex()
        if index.tagged(reference) != nil { return [reference] }
        if LearngeneManifest.isValidName(reference),
            index.manifests.contains(where: {
                $0.annotations?[OCIAnnotation.refName]?.hasPrefix(reference + ":") == true
            })
        {
            return index.manifests.compactMap { $0.annotations?[OCIAnnotation.refName] }.filter {
                $0.hasPrefix(reference + ":")
            }
        }
        let digest = try resolveDigest(reference)
        return index.manifests.filter { $0.digest == digest }.compactMap { $0.annotations?[OCIAnnotation.refName] }
    }

    /// Adds `reference` → `descriptor` to `index.json`, recording beside the tag what the manifest was made for
    /// (`identity`, which fsck checks) and when it was tagged (`org.opencontainers.image.created`: the manifest
    /// itself carries no time of this store, so the same content has one digest everywhere). An existing tag is replaced when `replacing`, kept when `sameContent`
    /// says its manifest holds the same content (its digest is returned), refused otherwise.
    func tagManifest(
        _ descriptor: Descriptor, artifactType: String, identity: [String: String], reference: String, replacing: Bool,
        sameContent: (Digest) throws -> Bool
    ) throws -> Digest {
        try updateIndex { index in
            if let existing = index.tagged(reference) {
                if existing.digest == descriptor.digest { return existing.digest }
                if !replacing {
                    if try sameContent(existing.digest) { return existing.digest }
                    throw StoreError.tagExists(reference: reference, existing: existing.digest)
                }
                index.manifests.removeAll { $0.annotations?[OCIAnnotation.refName] == reference }
            }
            index.manifests.append(
                Descriptor(
                    mediaType: OCIMediaType.imageManifest, digest: descriptor.digest, size: descriptor.size,
                    artifactType: artifactType,
                    annotations: identity.merging([OCIAnnotation.refName: reference, OCIAnnotation.created: Self.now()])
                    { $1 }))
            return descriptor.digest
        }
    }

    /// Checks that `reference` may tag a derived artifact: a valid `name:version` that names no learngene (a
    /// derived artifact's tag may be repointed, a learngene's never). Called under the writer lock, before the
    /// first byte is written.
    func checkDerivedTag(_ reference: String) throws {
        try Self.checkTag(reference)
        if let existing = try readIndex().0.tagged(reference), existing.artifactType == OCIMediaType.learngene {
            throw StoreError.tagExists(reference: reference, existing: existing.digest)
        }
    }

    /// Tags a derived artifact's manifest, replacing what the tag held, and makes the commit durable.
    func tagDerived(_ descriptor: Descriptor, image: ImageManifest, reference: String) throws {
        _ = try tagManifest(
            descriptor, artifactType: image.artifactType ?? "", identity: Self.identity(of: image),
            reference: reference,
            replacing: true, sameContent: { _ in false })
        syncAfterCommit()
    }

    /// The annotations of a manifest that say what it is, copied beside each tag of it in `index.json`: a
    /// learngene's name, a derived artifact's base. A tag whose copy disagrees with its manifest was repointed.
    static func identity(of image: ImageManifest) -> [String: String] {
        (image.annotations ?? [:]).filter { identityKeys.contains($0.key) }
    }

    /// The keys `identity(of:)` copies.
    static let identityKeys: Set<String> = [OCIAnnotation.name, OCIAnnotation.baseDigest]

    /// Checks that a tag is `name:version` with a valid learngene name and version.
    public static func checkTag(_ reference: String) throws {
        let parts = reference.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, LearngeneManifest.isValidName(parts[0]), LearngeneManifest.isValidVersion(parts[1])
        else {
            throw StoreError.invalidReference(reference)
        }
    }
}
