import ArgumentParser
import Foundation
import LgregCore
import LgregRemote
import LgregStore
import LgregVocabulary

/// `lgreg push aux-b:1.0 registry.example.com/team/aux-b:1.0`, `lgreg push scratch-fmnist-tiny-d12:s0-ft10 oci:zoo-tuned`
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract:
            "Copy a stored learngene to an OCI registry, or any stored entry to an OCI layout folder; prints its manifest digest.",
        discussion: """
            The manifest, config and layer blobs go across exactly as stored, so the digest is the same on both sides \
            (pull by it: HOST/REPO@sha256:…). Blobs the registry has are skipped; a blob the store knows to be in another \
            repository of the same registry is mounted from it. With --with-referrers the learngene's Des-Nets follow as \
            OCI artifacts whose subject is the learngene. Credentials: `lgreg login HOST`. --json follows \
            Schemas/remote-output.schema.json. \(ExitStatus.remoteHelp)

            oci:DIR writes an OCI image layout folder instead (made when new or empty), as skopeo and oras read one: \
            any stored entry (a learngene, a Des-Net, a tuned Des-Net) goes in under its tag, with --with-referrers a \
            learngene's derived entries too, and blobs shared between entries are one file. `lgreg pull oci:DIR` brings \
            them into another store.
            """)

    @Argument(help: "A stored learngene (name, name:version or digest prefix); for oci:DIR any stored entry.")
    var source: String
    @Argument(help: "HOST[:PORT]/REPOSITORY[:TAG] (default tag: the learngene's version), or oci:DIR.")
    var destination: String
    @Flag(name: .customLong("with-referrers"), help: "Push the learngene's Des-Nets too, as referrers of it.")
    var withReferrers = false
    @OptionGroup var registry: RegistryOptionGroup
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let source = try ModelReference.entry(source)
        if let folder = try LayoutArgument(destination) {
            let opened = try store.open(.write)
            let report = try folder.run {
                try opened.exportToLayout(
                    try folder.entries(source, in: opened, withReferrers: self.withReferrers), folder: $0)
            }
            return try folder.print(report, json: format.json)
        }
        let target = try RegistryReference(destination)
        guard !target.repository.isEmpty, target.digest == nil else {
            throw RemoteError.invalidReference(
                destination, reason: "push needs HOST[:PORT]/REPOSITORY[:TAG], without a digest")
        }
        let opened = try store.open(.write)
        let learngene = try opened.resolve(source)
        let tag = target.tag ?? learngene.manifest.version
        let withReferrers = withReferrers
        let progress = format.json ? nil : transferProgress("push \(target.registry)/\(target.repository):\(tag)")
        let report = try registry.with(target.registry) { remote in
            try await remote.push(
                learngene.digest, from: opened, repository: target.repository, tag: tag, withReferrers: withReferrers,
                progress: progress)
        }
        if format.json { return try printReport("push", report) }
        print(report.digest)
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(
                Data(
                    "\(report.reference): \(report.uploadedBlobs) uploaded (\(formatBytes(report.uploadedBytes))), \(report.presentBlobs) present, \(report.mountedBlobs) mounted\(report.referrers.isEmpty ? "" : ", \(report.referrers.count) referrers")\n"
                        .utf8))
        }
    }
}
