import Foundation
import LgregTestSupport
import Testing

/// The current learngene (issue 16): the user's own two lines, `lgreg publish aux-b.lgz` then `lgreg
/// materialize --depth 14 --order front-mid-last`, run exactly as written against a fresh store ($LGREG_HOME),
/// and what happens with several learngenes or a removed one.
@Suite(.serialized) final class CurrentLearngeneTests {
    let folder: TemporaryDirectory
    let environment: [String: String]

    init() throws {
        folder = try TemporaryDirectory("lgreg-current")
        environment = ["LGREG_HOME": folder.path("store")]
        for name in ["aux-b", "aux-c"] {
            let made = try runLgreg([
                "init", "--preset", "fmnist-tiny", "--schedule", "3,3,4,3,3", "--random", "--seed",
                name == "aux-b" ? "1" : "2",
                "--name", name, "-o", folder.path("\(name).lgz"),
            ])
            #expect(made.status == 0, "\(made.summary)")
        }
    }

    /// Runs `lgreg` in the test folder against its store, as a user types it there.
    func lgreg(_ line: String) throws -> ProcessOutput {
        try runLgreg(line.split(separator: " ").map(String.init), environment: environment, directory: folder.url)
    }

    func tags() throws -> [String] {
        let index =
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appending("store/index.json")))
            as! [String: Any]
        return (index["manifests"] as! [[String: Any]]).compactMap {
            ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"]
        }
    }

    @Test func theUsersTwoLinesRunAsWritten() throws {
        let published = try lgreg("publish aux-b.lgz")
        #expect(published.status == 0, "\(published.summary)")
        let made = try lgreg("materialize --depth 14 --order front-mid-last")
        #expect(made.status == 0, "\(made.summary)")
        #expect(made.err.contains("using learngene aux-b:"), "\(made.summary)")
        #expect(made.out.contains("layer map: 0,0,0,1,1,1,2,2,2,3,3,3,4,4"), "\(made.summary)")
        let desNet = try tags().filter { $0.hasPrefix("aux-b-d14:") }
        #expect(desNet.count == 1 && desNet[0].hasSuffix("-cyclic-front-mid-last"), "\(desNet)")
    }

    /// Issue 24: with another learngene current, `publish aux-b.lgz` then `materialize --depth 14` builds Aux-B's
    /// Des-Net (the learngene just published), and stderr says it became current; `--no-use` leaves the current one.
    @Test func publishMakesItsLearngeneCurrentUnlessNoUse() throws {
        #expect(try lgreg("publish aux-c.lgz --use").status == 0)
        let published = try lgreg("publish aux-b.lgz")
        #expect(published.status == 0, "\(published.summary)")
        #expect(published.out.hasPrefix("sha256:") && published.out.split(separator: "\n").count == 1)
        #expect(published.err.contains("published aux-b:0.1.0 (sha256:"), "\(published.summary)")
        #expect(published.err.contains("current learngene: aux-b:0.1.0, was aux-c:0.1.0"), "\(published.summary)")
        let made = try lgreg("materialize --depth 14 --order front-mid-last")
        #expect(made.status == 0 && made.err.contains("using learngene aux-b:"), "\(made.summary)")
        #expect(
            try tags().contains { $0.hasPrefix("aux-b-d14:") } && !(try tags().contains { $0.hasPrefix("aux-c-d14:") }))

        // --no-use: the current learngene stays, and nothing on stderr claims otherwise.
        #expect(try lgreg("use aux-c").status == 0)
        let kept = try lgreg("publish aux-b.lgz --no-use")
        #expect(kept.status == 0 && !kept.err.contains("current learngene"), "\(kept.summary)")
        #expect(try lgreg("use").out.contains("current learngene: aux-c"))
        #expect(try lgreg("publish --help").out.contains("--no-use"))
    }

    @Test func severalLearngenesNeedAChoiceAndUseMakesIt() throws {
        #expect(try lgreg("publish aux-b.lgz --no-use").status == 0)
        #expect(try lgreg("publish aux-c.lgz --no-use").status == 0)
        let ambiguous = try lgreg("materialize --depth 9")
        #expect(ambiguous.status == 64, "\(ambiguous.summary)")
        #expect(
            ambiguous.err.contains("aux-b:") && ambiguous.err.contains("aux-c:") && ambiguous.err.contains("lgreg use"),
            "\(ambiguous.summary)")
        #expect(try tags().allSatisfy { !$0.contains("-d9:") })

        let use = try lgreg("use aux-c")
        #expect(use.status == 0, "\(use.summary)")
        // list marks it; show takes it.
        let listed = try lgreg("list").out.split(separator: "\n")
        #expect(
            listed.contains { $0.hasPrefix("*") && $0.contains("aux-c:") }
                && !listed.contains { $0.hasPrefix("*") && $0.contains("aux-b:") }, "\(listed)")
        let json = try lgreg("list --json")
        #expect(try validateJSON(json.out, against: "store-output.schema.json").status == 0, "\(json.summary)")
        let showed = try lgreg("show")
        #expect(
            showed.status == 0 && showed.out.contains("name:        aux-c")
                && showed.err.contains("using learngene aux-c"), "\(showed.summary)")
        let shown = try lgreg("use --json")
        #expect(try validateJSON(shown.out, against: "use.schema.json").status == 0)
        #expect(shown.out.contains("\"current\" : \"aux-c\""), "\(shown.summary)")
        let plan = try lgreg("plan --depth 12")
        #expect(plan.status == 0 && plan.out.contains("0 0 0|1 1 1|2 2|3 3|4 4"), "\(plan.summary)")
        #expect(plan.err.contains("using learngene aux-c:"), "\(plan.summary)")
        // A named learngene still wins over the current one.
        #expect(try lgreg("materialize aux-b --depth 9").status == 0)
        #expect(try tags().contains { $0.hasPrefix("aux-b-d9:") })
    }

    @Test func aRemovedCurrentLearngeneIsAnErrorNotAFallback() throws {
        #expect(try lgreg("publish aux-b.lgz").status == 0)
        #expect(try lgreg("publish aux-c.lgz --use").status == 0)
        #expect(try lgreg("use").out.contains("current learngene: aux-c"))
        #expect(try lgreg("rm aux-c").status == 0)
        let gone = try lgreg("materialize --depth 9")
        #expect(gone.status == 64, "\(gone.summary)")
        #expect(gone.err.contains("'aux-c:0.1.0' is no longer in the store"), "\(gone.summary)")
        #expect(try tags().allSatisfy { !$0.contains("-d9:") })
        #expect(try lgreg("use aux-nothing").status == 64)
    }
}
