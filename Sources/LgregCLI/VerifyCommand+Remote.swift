import Foundation
import LgregRemote
import LgregVocabulary

extension VerifyCommand {
    /// The store reference to verify: `reference` itself, or for `HOST[:PORT]/REPO@sha256:…` the digest of what
    /// was pulled first (what the store lacks only; by digest only: CI pins what it checks).
    func storeReference(_ reference: String) throws -> String {
        switch try ModelReference(parsing: reference) {
        case .entry(let name, _): return name
        case .registry: break
        case let other:
            throw ReferenceError.notTaken(
                reference, reading: other.reading, takes: "a store entry, or HOST[:PORT]/REPO@sha256:… to pull first")
        }
        guard try RegistryReference(reference).digest != nil else {
            throw RemoteError.invalidReference(
                reference, reason: "verify pulls by digest only: HOST[:PORT]/REPOSITORY@sha256:DIGEST")
        }
        return try pullRemote(
            reference, tag: nil, withReferrers: false, registry: registry, store: store, quiet: output.json
        ).digest
    }
}
