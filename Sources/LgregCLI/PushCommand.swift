import ArgumentParser
import Foundation
import LgregCore
import LgregRemote
import LgregStore

/// `lgreg push aux-b:1.0 registry.example.com/team/aux-b:1.0`
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy a stored learngene to an OCI registry; prints its manifest digest.",
        discussion: """
        The manifest, config and layer blobs go across exactly as stored, so the digest is the same on both sides \
        (pull by it: HOST/REPO@sha256:…). Blobs the registry has are skipped; a blob the store knows to be in another \
        repository of the same registry is mounted from it. With --with-referrers the learngene's Des-Nets follow as \
        OCI artifacts whose subject is the learngene. Credentials: `lgreg login HOST`. --json follows \
        Schemas/remote-output.schema.json. \(RemoteExit.help)
        """)

    @Argument(help: "A stored learngene (name, name:version or digest prefix).")
    var source: String
    @Argument(help: "HOST[:PORT]/REPOSITORY[:TAG] (default tag: the learngene's version).")
    var destination: String
    @Flag(name: .customLong("with-referrers"), help: "Push the learngene's Des-Nets too, as referrers of it.")
    var withReferrers = false
    @OptionGroup var registry: RegistryOptionGroup
    @OptionGroup var store: StoreOptions
    @OptionGroup var format: JSONOption

    func run() throws {
        let target = try RegistryReference(destination)
        guard !target.repository.isEmpty, target.digest == nil else {
            throw RemoteError.invalidReference(destination, reason: "push needs HOST[:PORT]/REPOSITORY[:TAG], without a digest")
        }
        let opened = try store.open(.write)
        let learngene = try opened.resolve(source)
        let tag = target.tag ?? learngene.manifest.version
        let withReferrers = withReferrers
        let progress = format.json ? nil : transferProgress("push \(target.registry)/\(target.repository):\(tag)")
        let report = try registry.with(target.registry) { remote in
            try await remote.push(learngene.digest, from: opened, repository: target.repository, tag: tag, withReferrers: withReferrers, progress: progress)
        }
        if format.json { return try printReport("push", report) }
        print(report.digest)
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(Data("\(report.reference): \(report.uploadedBlobs) uploaded (\(formatBytes(report.uploadedBytes))), \(report.presentBlobs) present, \(report.mountedBlobs) mounted\(report.referrers.isEmpty ? "" : ", \(report.referrers.count) referrers")\n".utf8))
        }
    }
}
