import Foundation
import LgregRemote

extension VerifyCommand {
    /// The store reference to verify: `reference` itself, or for `HOST[:PORT]/REPO@sha256:…` the digest of what
    /// was pulled first (what the store lacks only; by digest only: CI pins what it checks).
    func storeReference(_ reference: String) throws -> String {
        guard RegistryReference.isRemote(reference) else { return reference }
        guard try RegistryReference(reference).digest != nil else {
            throw RemoteError.invalidReference(reference, reason: "verify pulls by digest only: HOST[:PORT]/REPOSITORY@sha256:DIGEST")
        }
        return try pullRemote(reference, tag: nil, withReferrers: false, registry: registry, store: store, quiet: output.json).digest
    }
}
