import ArgumentParser
import Foundation
import LgregRemote
import LgregStore
import LgregVocabulary

/// `lgreg pull registry.example.com/team/aux-b@sha256:…`, `lgreg pull oci:Registry/tuned`
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract:
            "Copy a learngene from an OCI registry, or entries from an OCI layout folder, into the store; prints manifest digests.",
        discussion: """
            The manifest is read up to 4 MiB and checked against the digest asked for; every blob streams to \
            .lgreg/downloads and is checked for size and SHA-256 before it enters the store; the tag is written last, so \
            `lgreg list` shows nothing until the whole learngene is in. An interrupted pull resumes where it stopped. \
            The store is created if the folder is new or empty. --json follows Schemas/remote-output.schema.json. \
            \(ExitStatus.remoteHelp)

            oci:DIR[:TAG] reads an OCI image layout folder (`lgreg push … oci:DIR`, skopeo, oras): every tag in it, or \
            the one named, learngenes before the entries derived from them; each blob is checked for size and SHA-256 \
            on its way in, and a damaged folder (exit 65) leaves the store as it was.
            """)

    @Argument(help: "HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST], or oci:DIR[:TAG].")
    var source: String
    @Option(help: "Store tag to give it, name:version (default: the learngene's own name:version).")
    var tag: String?
    @Flag(
        name: .customLong("with-referrers"), help: "Pull the learngene's Des-Nets too (its referrers in the registry).")
    var withReferrers = false
    @OptionGroup var registry: RegistryOptionGroup
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        if let folder = try LayoutArgument(source) {
            if let tag { try LearngeneStore.checkTag(tag) }
            guard tag == nil || folder.tag != nil else {
                throw ValidationError("--tag retags one entry: name it, oci:DIR:TAG")
            }
            let opened = try store.open(.create)
            let report = try folder.run { folderLayout in
                try opened.importFromLayout(folderLayout, tags: folder.tag.map { [$0] }, retag: tag)
            }
            if opened.created {
                FileHandle.standardError.write(Data("created store at \(opened.layout.root.path)\n".utf8))
            }
            return try folder.print(report, json: format.json)
        }
        let report = try pullRemote(
            source, tag: tag, withReferrers: withReferrers, registry: registry, store: store, quiet: format.json)
        if format.json { return try printReport("pull", report) }
        print(report.digest)
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(
                Data(
                    "\(report.tag): \(report.downloadedBlobs) downloaded (\(formatBytes(report.downloadedBytes))), \(report.presentBlobs) present\(report.referrers.isEmpty ? "" : ", \(report.referrers.count) referrers")\n"
                        .utf8))
        }
    }
}

/// Pulls `source` into the store (created when new), as `lgreg pull` and `lgreg verify HOST/REPO@…` do.
func pullRemote(
    _ source: String, tag: String?, withReferrers: Bool, registry: RegistryOptionGroup, store: StoreOptions, quiet: Bool
) throws -> PullReport {
    let reference = try RegistryReference(source)
    guard !reference.repository.isEmpty else {
        throw RemoteError.invalidReference(source, reason: "pull needs HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST]")
    }
    if let tag { try LearngeneStore.checkTag(tag) }
    let opened = try store.open(.create)
    let progress = quiet ? nil : transferProgress("pull \(reference)")
    let report = try registry.with(reference.registry) { remote in
        try await remote.pull(reference, into: opened, tag: tag, withReferrers: withReferrers, progress: progress)
    }
    if opened.created { FileHandle.standardError.write(Data("created store at \(opened.layout.root.path)\n".utf8)) }
    return report
}
