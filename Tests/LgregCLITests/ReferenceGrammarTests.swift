import Foundation
import LgregTestSupport
import Testing

/// Every command that takes a reference reads it by the one grammar: the same inputs give every command the same
/// reading, the same message and the same exit code (README's "References").
@Suite struct ReferenceGrammarTests {
    /// Each command with a reference argument, `REF` standing for it (the options each needs to get as far as reading it).
    static let commands: [[String]] = [
        ["show", "REF"], ["export", "REF", "-o", "OUT"], ["eval", "REF", "--depth", "3", "--limit", "8"],
        ["verify", "REF"],
        ["materialize", "REF", "--depth", "3"], ["plan", "REF", "--depth", "3"], ["tag", "REF", "other:1"],
        ["rm", "REF"],
        ["use", "REF"], ["push", "REF", "oci:OUT"], ["finetune", "REF", "--depth", "3", "--epochs", "1"],
    ]

    func run(_ command: [String], _ reference: String, store: String, folder: TemporaryDirectory) throws
        -> ProcessOutput
    {
        let arguments = command.map { $0 == "REF" ? reference : $0 == "OUT" ? folder.path("out-\(command[0])") : $0 }
        return try runLgreg(arguments + ["--store", store])
    }

    @Test func everyCommandReadsAReferenceAlike() throws {
        let folder = try TemporaryDirectory("lgreg-reference-grammar")
        let archive = folder.path("aux.lgz")
        #expect(
            try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "2,1", "--random", "--name", "aux", "-o", archive,
            ]).status == 0)
        let store = folder.path("store")
        #expect(try runLgreg(["publish", archive, "--store", store]).status == 0)

        // No reading fits: a slash without a registry host, a name the store lacks, a name no grammar allows.
        let nothing = [
            "team/aux":
                "'team/aux' names nothing lgreg can read: not oci:DIR (an OCI layout folder); not a registry reference "
                + "(HOST[:PORT]/REPO needs a '.' or ':' in its host, or localhost; 'team' has none); no file or folder of that name; "
                + "not a store entry (NAME[:VERSION] of a-z, 0-9, '.', '_', '-'; sha256:HEX; or a digest prefix)",
            "nosuch:1":
                "'nosuch:1' names nothing lgreg can read: no store entry matches it (see `lgreg list`), and no file or folder has that name",
        ]
        for (reference, message) in nothing {
            for command in Self.commands {
                let result = try run(command, reference, store: store, folder: folder)
                #expect(
                    result.status == 64 && result.err == "error: \(message)\n",
                    "lgreg \(command[0]) \(reference): \(result.summary)")
            }
        }

        // A registry reference: the commands that take only store entries or learngenes say what they take instead.
        let registry = "localhost:1/team/aux:1"
        for command in Self.commands where !["verify"].contains(command[0]) {
            let result = try run(command, registry, store: store, folder: folder)
            #expect(
                result.status == 64
                    && result.err.hasPrefix(
                        "error: '\(registry)' reads as a registry reference (HOST[:PORT]/REPO[:TAG|@DIGEST]), but this command takes "
                    ),
                "lgreg \(command[0]) \(registry): \(result.summary)")
        }
        // A layout folder the same way, for every command but push's destination.
        for command in Self.commands {
            let result = try run(command, "oci:\(folder.path("layout"))", store: store, folder: folder)
            #expect(
                result.status == 64
                    && result.err.contains("reads as an OCI layout folder (oci:DIR), but this command takes "),
                "lgreg \(command[0]) oci:…: \(result.summary)")
        }
        // Pull takes registries and layouts, and says so of a store entry.
        let pull = try runLgreg(["pull", "aux:1", "--store", store])
        #expect(
            pull.status == 64
                && pull.err.hasPrefix(
                    "error: 'aux:1' reads as a store entry (NAME[:VERSION] or a digest), but this command takes "),
            "\(pull.summary)")
    }
}
