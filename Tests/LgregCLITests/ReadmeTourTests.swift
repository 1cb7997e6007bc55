import Foundation
import LgregTestSupport
import Testing

/// README.md's tour, run as written: the fenced block after `<!-- tour -->`, each command in an empty folder with a
/// fresh store and the binary under test as `lgreg` on `PATH`; every command must exit 0 and print each `#=> TEXT`
/// line that follows it.
@Suite struct ReadmeTourTests {
    /// One command of the tour and what its output must contain.
    struct Step {
        var command: String
        var expected: [String]
    }

    /// The steps of the `sh` block after each `<!-- tour -->` marker: command lines (a trailing `  # comment`
    /// dropped), and `#=> TEXT` lines expecting TEXT in the output of the command above.
    static func tour(_ readme: String) throws -> [Step] {
        var steps: [Step] = []
        for section in readme.components(separatedBy: "<!-- tour -->").dropFirst() {
            let lines = section.components(separatedBy: "\n").drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard lines.first == "```sh" else { throw TourError.noBlock }
            for line in lines.dropFirst().prefix(while: { $0 != "```" }) {
                if line.hasPrefix("#=> ") {
                    guard !steps.isEmpty else { throw TourError.expectationFirst(line) }
                    steps[steps.count - 1].expected.append(String(line.dropFirst(4)))
                } else if !line.hasPrefix("#"), !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    let command = line.range(of: "  #").map { String(line[..<$0.lowerBound]) } ?? line
                    steps.append(Step(command: command.trimmingCharacters(in: .whitespaces), expected: []))
                }
            }
        }
        return steps
    }

    enum TourError: Error {
        case noBlock
        case expectationFirst(String)
    }

    /// The parser reads a hand-made block as intended (a parser that found nothing would pass the tour).
    @Test func readsStepsAndExpectations() throws {
        let steps = try Self.tour(
            "intro\n<!-- tour -->\n```sh\nlgreg a --x 1   # says a\n#=> one\n#=> two\n# a note\n\nlgreg b\n```\nlgreg c\n"
        )
        #expect(steps.map(\.command) == ["lgreg a --x 1", "lgreg b"])
        #expect(steps.map(\.expected) == [["one", "two"], []])
    }

    @Test func tourRunsAsWritten() throws {
        let steps = try Self.tour(
            String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8))
        #expect(steps.count >= 10, "the tour has \(steps.count) commands")
        #expect(steps.allSatisfy { $0.command.hasPrefix("lgreg ") }, "every tour command runs lgreg")
        let work = try TemporaryDirectory("lgreg-tour")
        let bin = work.appending("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: bin.appendingPathComponent("lgreg"), withDestinationURL: lgregBinary)
        let folder = work.appending("tour")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let environment = [
            "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "LGREG_HOME": work.path("store"),
        ]
        for step in steps {
            let result = try runProcess("/bin/sh", ["-c", step.command], environment: environment, directory: folder)
            try #require(result.status == 0 && !result.signaled, "`\(step.command)`: \(result.summary)")
            for text in step.expected {
                #expect(result.out.contains(text), "`\(step.command)` should print '\(text)': \(result.summary)")
            }
        }
    }
}
