import Foundation
import LgregRemote
import LgregVocabulary

/// `lgreg list HOST/REPO` (its tags) and `lgreg list HOST/` (the registry's catalog, where it offers one).
struct RemoteListing: Encodable {
    /// `host:port`.
    var registry: String
    /// The repository whose tags these are; absent for the catalog.
    var repository: String?
    /// Tags, or repositories for the catalog, sorted.
    var entries: [String]

    /// Lists `target` and prints the listing (one entry a line, or `--json`: report `remote-list`).
    static func run(_ target: String, json: Bool, registry: RegistryOptionGroup) throws {
        let parsed = try ModelReference(parsing: target)
        guard case .registry = parsed else {
            throw ReferenceError.notTaken(
                target, reading: parsed.reading, takes: "a registry: HOST[:PORT]/REPOSITORY (its tags) or HOST[:PORT]/")
        }
        let reference = try RegistryReference(target)
        guard reference.tag == nil, reference.digest == nil else {
            throw RemoteError.invalidReference(
                target, reason: "list takes HOST[:PORT]/REPOSITORY (its tags) or HOST[:PORT]/ (the catalog)")
        }
        let repository = reference.repository
        let entries = try registry.with(reference.registry) { remote in
            repository.isEmpty ? try await remote.catalog() : try await remote.tags(repository)
        }
        let listing = RemoteListing(
            registry: reference.registry, repository: repository.isEmpty ? nil : repository, entries: entries)
        if json { return try printReport("remote-list", listing) }
        for entry in entries { print(entry) }
    }
}
