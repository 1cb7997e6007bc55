import Foundation
import LgregTestSupport
import Testing

/// Issue 24, the newcomer's path: what a new user meets in the first hour from README and `--help`, run against the
/// binary under test. The zoo's learngenes (`Registry/*.lgz`) and tuned Des-Nets (`Registry/tuned`) give real rows.
@Suite(.serialized) struct NewcomerPathTests {
    let folder: TemporaryDirectory
    let environment: [String: String]

    init() throws {
        folder = try TemporaryDirectory("lgreg-newcomer")
        environment = ["LGREG_HOME": folder.path("store")]
    }

    func lgreg(_ arguments: [String]) throws -> ProcessOutput {
        try runLgreg(arguments, environment: environment, directory: folder.url)
    }

    /// The zoo published (`--no-use`, as a script publishing many does) and its tuned Des-Nets pulled.
    func zoo() throws {
        let registry = repositoryRoot.appendingPathComponent("Registry")
        for archive in try FileManager.default.contentsOfDirectory(atPath: registry.path).filter({
            $0.hasSuffix(".lgz")
        }).sorted() {
            let published = try lgreg(["publish", registry.appendingPathComponent(archive).path, "--no-use"])
            try #require(published.status == 0, "\(published.summary)")
        }
        let pulled = try lgreg(["pull", "oci:" + registry.appendingPathComponent("tuned").path])
        try #require(pulled.status == 0, "\(pulled.summary)")
    }

    /// `show` prints each random-assigned row's seed, and counts the blobs as `verify` does; `verify` names the seed
    /// of each random result and counts the results outside `--depths` in one line; a tuned result reads "1 epoch".
    @Test func rowsShowTheFieldThatTellsThemApart() throws {
        try zoo()
        let shown = try lgreg(["show", "fmnist-tiny-sws"])
        #expect(shown.status == 0, "\(shown.summary)")
        let header = try #require(shown.out.split(separator: "\n").first { $0.contains("Strategy") })
        #expect(header.contains("Seed"), "\(header)")
        let random = shown.out.split(separator: "\n").filter { $0.contains(" random ") }
        #expect(random.count == 50)
        // Depth, strategy, seed, tuned, eval set, top-1: no two random rows alike once the seed is shown.
        #expect(Set(random.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }).count == random.count)

        let verified = try lgreg(["verify", "fmnist-tiny-sws", "--depths", "6"])
        #expect(verified.status == 0, "\(verified.summary)")
        let lines = verified.out.split(separator: "\n").map(String.init)
        let ok = lines.filter { $0.hasPrefix("  ok            result:") }
        #expect(ok.count == 8, "\(verified.out)")
        let randomOK = ok.filter { $0.contains(" random") }
        #expect(randomOK.count == 5 && Set(randomOK.map { $0.components(separatedBy: ": declared")[0] }).count == 5)
        #expect(randomOK.allSatisfy { $0.contains(", seed ") }, "\(randomOK)")
        let skipped = lines.filter { $0.contains("skipped") }
        #expect(skipped.count == 1 && skipped[0].contains("73 declared results at other depths than --depths 6"))
        // show's blob count is verify's.
        let blobs = try #require(lines.first { $0.contains("blobs:") }?.split(separator: " ").first { Int($0) != nil })
        #expect(shown.out.contains("intact (\(blobs) blobs match their digests"), "verify: \(blobs)")

        let tuned = try lgreg(["verify", "fmnist-tiny-sws-d6:2-cyclic-ft1"])
        #expect(tuned.status == 0 && tuned.out.contains("tuned 1 epoch on"), "\(tuned.summary)")
        #expect(!tuned.out.contains("1 epochs"))
    }

    /// `list --all` fits a terminal; `list --kind` takes the kinds `list` prints; `show --lineage` sorts depths as
    /// numbers.
    @Test func listingsReadAtAGlance() throws {
        try zoo()
        let all = try lgreg(["list", "--all"])
        #expect(all.status == 0, "\(all.summary)")
        let widest = all.out.split(separator: "\n").map(\.count).max() ?? 0
        #expect(widest <= 140, "list --all is \(widest) columns wide")
        #expect(all.out.contains("fmnist-tiny-sws:2, depth 12, cyclic (front-mid-last)"))
        for (kind, expected) in [("sws", ["fmnist-tiny-sws:2"]), ("tleg", ["fmnist-tiny-tleg:2"])] {
            let listed = try lgreg(["list", "--kind", kind, "--json"])
            #expect(listed.status == 0, "\(listed.summary)")
            let rows =
                (try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [String: Any])?["list"]
                as? [[String: Any]] ?? []
            #expect(rows.compactMap { $0["reference"] as? String } == expected, "--kind \(kind)")
        }
        let plain = try lgreg(["list", "--kind", "plain"])
        #expect(plain.status == 0 && plain.out.contains("fmnist-small-ancestry:1"), "\(plain.summary)")
        #expect(try lgreg(["list", "--kind", "nothing"]).status == 64)

        let tree = try lgreg(["show", "fmnist-tiny-sws", "--lineage"])
        #expect(tree.status == 0, "\(tree.summary)")
        let depths = tree.out.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: #"fmnist-tiny-sws-d(\d+):"#, options: .regularExpression) else {
                return nil
            }
            return Int(line[range].dropFirst("fmnist-tiny-sws-d".count).dropLast())
        }
        #expect(depths == [6, 9, 12, 15], "\(tree.out)")
        // Distilled from the zoo's ancestry, which is in the store: the tree names it.
        #expect(tree.out.split(separator: "\n").first?.hasSuffix("distilled from fmnist-small-ancestry:1") == true)
        let json = try lgreg(["show", "fmnist-tiny-sws", "--lineage", "--json"])
        #expect(try validateJSON(json.out, against: "store-output.schema.json").status == 0, "\(json.summary)")
        #expect(json.out.contains("\"teacher\" : \"fmnist-small-ancestry:1\""))
    }

    /// The small ones of the first hour: `import --version`, `help` of an unknown command, a plain learngene asked
    /// for a cyclic Des-Net, `torch.save(model)`, the savings report's epochs, `report accuracy --svg`.
    @Test func firstHourMessagesPointAtTheFix() throws {
        let version = try lgreg(["import", "--version"])
        #expect(version.status == 0 && version.out == "0.1.0\n", "\(version.summary)")
        let unknown = try lgreg(["help", "diff"])
        #expect(unknown.status == 64 && unknown.err.contains("'diff' is not an lgreg command"), "\(unknown.summary)")
        let known = try lgreg(["help", "report", "savings"])
        #expect(known.status == 0 && known.out.contains("--pretrain-epochs"), "\(known.summary)")

        let whole = try lgreg([
            "import", repositoryRoot.appendingPathComponent("Tests/LgregImportTests/Fixtures/whole-model.pth").path,
            "--layout", "timm", "-o", folder.path("whole.lgz"),
        ])
        #expect(whole.status == 65 && whole.err.contains("model.state_dict()"), "\(whole.summary)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("whole.lgz")))

        let made = try lgreg([
            "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--name", "aux",
            "--learngene-version", "7", "-o", folder.path("aux.lgz"),
        ])
        #expect(made.status == 0 && made.out.contains("aux:7"), "\(made.summary)")
        let plain = repositoryRoot.appendingPathComponent("Registry/fmnist-small-ancestry.lgz").path
        let cyclic = try lgreg(["materialize", plain, "--depth", "12", "--output", folder.path("d12")])
        #expect(cyclic.status == 64, "\(cyclic.summary)")
        #expect(
            cyclic.err.contains(
                "this one is plain, which --strategy explicit, simple-lg, imwlm, vanilla-lg or scratch"),
            "\(cyclic.summary)")

        let savings = try lgreg(["report", "savings", folder.path("aux.lgz")])
        #expect(savings.status == 0 && savings.out.contains("the paper's constants"), "\(savings.summary)")

        #expect(try lgreg(["publish", folder.path("aux.lgz")]).status == 0)
        let svg = try lgreg(["report", "accuracy", "--svg", folder.path("a.svg")])
        #expect(svg.status == 0 && svg.out.hasPrefix("wrote ") && !svg.out.contains("Strategy"), "\(svg.summary)")
        #expect(FileManager.default.fileExists(atPath: folder.path("a.svg")))
    }
}
