import Foundation
import LgregArchive
import LgregCore
import SafeTensors

/// A blob a learngene (or derived) manifest lists: its descriptor and the file holding it. Opening it checks
/// its digest first (see `LearngeneStore.verifyBlob`).
public struct StoredBlob: Sendable {
    /// The manifest's descriptor (digest, size, role and index annotations).
    public var descriptor: Descriptor
    /// The blob's file under `blobs/sha256/`.
    public var url: URL
    /// Checks the file's bytes against the digest before they are used.
    let verify: @Sendable () throws -> Void

    /// Digest of the blob.
    public var digest: Digest { descriptor.digest }
    /// The `org.lgreg.role` annotation.
    public var role: String? { descriptor.annotations?[OCIAnnotation.role] }
    /// The `org.lgreg.layer.index` annotation.
    public var index: Int? { descriptor.annotations?[OCIAnnotation.layerIndex].flatMap { Int($0) } }

    /// Checks the blob's digest, then maps and validates it as a safetensors file (no copy).
    /// - Throws: `StoreError.digestMismatch` naming the blob and what it hashes to, `.missingBlob`.
    public func open() throws -> SafeTensorsFile {
        try verify()
        return try SafeTensorsFile(path: url.path)
    }
}
