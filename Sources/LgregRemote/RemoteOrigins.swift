import Foundation
import LgregCore
import LgregStore

/// Which repositories of which registries a stored blob is known to be in (`.lgreg/remote-origins.json`,
/// `Schemas/remote-origins.schema.json`): pull and push record them, and push asks a registry to mount a blob
/// from another of its repositories instead of uploading it again. A cache: lost or unreadable, it is started anew.
struct RemoteOrigins: Codable {
    var schemaVersion = 1
    /// Blob digest → `registry/repository` entries, most recent last, at most `limit`.
    var blobs: [String: [String]] = [:]

    static let limit = 8

    static func file(_ store: LearngeneStore) -> URL {
        store.layout.privateDirectory.appendingPathComponent("remote-origins.json")
    }

    /// The repositories of `registry` other than `repository` that hold `digest`.
    static func mountSources(_ digest: Digest, registry: String, except repository: String, in store: LearngeneStore)
        -> [String]
    {
        let origins = load(store)
        return (origins.blobs[digest.description] ?? []).reversed().compactMap { entry in
            guard entry.hasPrefix(registry + "/") else { return nil }
            let repo = String(entry.dropFirst(registry.count + 1))
            return repo == repository ? nil : repo
        }
    }

    /// Records that `digests` are in `registry/repository` (best effort: a store that cannot be written loses nothing).
    static func record(_ digests: [Digest], registry: String, repository: String, in store: LearngeneStore) {
        guard store.mode != .read, !digests.isEmpty else { return }
        let entry = "\(registry)/\(repository)"
        guard
            let lock = try? FileLock(
                store.layout.privateDirectory.appendingPathComponent("remote-origins.lock"), exclusive: true)
        else { return }
        defer { withExtendedLifetime(lock) {} }
        var origins = load(store)
        for digest in digests {
            var list = origins.blobs[digest.description, default: []].filter { $0 != entry }
            list.append(entry)
            origins.blobs[digest.description] = Array(list.suffix(limit))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(origins) else { return }
        try? AtomicFileWriter.write(data, to: file(store))
    }

    private static func load(_ store: LearngeneStore) -> RemoteOrigins {
        guard let data = try? Data(contentsOf: file(store)),
            let origins = try? JSONDecoder().decode(RemoteOrigins.self, from: data),
            origins.schemaVersion == 1
        else { return RemoteOrigins() }
        return origins
    }
}
