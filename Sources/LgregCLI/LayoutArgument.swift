import ArgumentParser
import Foundation
import LgregCore
import LgregRemote
import LgregStore
import LgregVocabulary
import LgregZoo

/// `oci:DIR[:TAG]` where `push` and `pull` take a registry reference: an OCI image layout folder, and the tag
/// named in it (skopeo's syntax: the folder's path holds no colon, the tag is everything after the first).
struct LayoutArgument {
    var folder: OCILayoutFolder
    var tag: String?

    /// The folder `text` names (`oci:DIR[:TAG]`), or nil when it reads as a registry reference.
    /// - Throws: `ReferenceError` for any other reading, and for a digest (entries in a folder are named by tag).
    init?(_ text: String) throws {
        switch try ModelReference(parsing: text) {
        case .registry: return nil
        case .layout(let folder, let tag, let digest):
            guard digest == nil else {
                throw ReferenceError.malformed(
                    text, reading: .layout, reason: "entries in a layout folder are named by tag: oci:DIR:TAG")
            }
            self.folder = OCILayoutFolder(URL(fileURLWithPath: folder))
            self.tag = tag
        case let other:
            throw ReferenceError.notTaken(
                text, reading: other.reading,
                takes: "a registry reference (HOST[:PORT]/REPO[:TAG|@DIGEST]) or oci:DIR[:TAG]")
        }
    }

    /// Runs a copy to or from the folder; what is wrong with the folder's own files exits 65 (refused data), as
    /// for a registry that sends damaged content.
    func run(_ copy: (OCILayoutFolder) throws -> LayoutTransfer) throws -> LayoutTransfer {
        let root = folder.root.path
        do { return try copy(folder) } catch let error as StoreError {
            switch error {
            case .corruptLayout(let file, let reason) where file.hasPrefix(root):
                throw RemoteError.refused(what: file, reason: reason)
            case .digestMismatch(let file, let expected, let actual) where file.hasPrefix(root):
                throw RemoteError.refused(what: file, reason: "content hashes to \(actual), expected \(expected)")
            default: throw error
            }
        }
    }

    /// Prints what was copied: a `digest  tag` line per entry (and a summary on a terminal), or the JSON report.
    func print(_ report: LayoutTransfer, json: Bool) throws {
        if json { return try printReport("layout", report) }
        for entry in report.entries { Swift.print("\(entry.digest)  \(entry.reference)") }
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(
                Data(
                    "oci:\(report.folder): \(report.entries.count) entries, \(report.copiedBlobs) blobs copied (\(formatBytes(report.copiedBytes))), \(report.presentBlobs) present\n"
                        .utf8))
        }
    }

    /// What `push REFERENCE oci:DIR[:TAG]` copies: the entry `reference` names under its tag (or TAG), and with
    /// `withReferrers` a learngene's derived entries under theirs.
    func entries(_ reference: String, in store: LearngeneStore, withReferrers: Bool) throws -> [(
        digest: Digest, reference: String
    )] {
        var entries: [(digest: Digest, reference: String)]
        switch try ResolvedEntry.resolve(reference, in: store) {
        case .learngene(let learngene):
            entries = [
                (
                    learngene.digest,
                    learngene.tags.contains(reference)
                        ? reference : learngene.tags.first ?? learngene.manifest.reference
                )
            ]
            if withReferrers {
                for digest in try store.derivedArtifacts(of: learngene.digest) {
                    entries += try store.tags(of: digest).map { (digest, $0) }
                }
            }
        case .derived(let entry):
            guard let own = entry.tags.contains(reference) ? reference : entry.tags.first else {
                throw StoreError.notFound(reference: reference)
            }
            entries = [(entry.digest, own)]
        }
        if let tag {
            guard entries.count == 1 else {
                throw ValidationError("oci:DIR:TAG names one entry; with --with-referrers give oci:DIR")
            }
            try LearngeneStore.checkTag(tag)
            entries[0].reference = tag
        }
        return entries
    }
}
