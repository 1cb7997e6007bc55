import Foundation
import LgregCore
import LgregTestSupport
import Testing

/// A store with one entry of every kind, verdicts recorded, and a learngene whose card is hostile, built once for
/// every test of the suite from the zoo's committed archives (no training).
final class SiteFixture: @unchecked Sendable {
    let folder: TemporaryDirectory
    let store: String
    /// The site written twice, and what `--json` printed the first time.
    let site: URL
    let again: URL
    let json: String
    let learngene = "fmnist-tiny-sws:2"
    let tuned = "fmnist-tiny-sws-d12:2-cyclic-ft1"
    let scratch = "scratch-fmnist-tiny-d6:s0-ft1"
    let hostile = "hostile:0.1.0"
    /// `lgreg verify --json` of the tuned Des-Net.
    let verified: [String: Any]
    var desNet = ""
    /// The description and licence the hostile learngene carries.
    static let hostileDescription =
        #"<script>document.title="pwned";window.__pwned=true</script> "onload=window.__pwned=true <img src=x onerror=alert(2)> & done"#
    static let hostileLicense = #"MIT"><script>alert(3)</script>"#

    /// Built once; a failure is kept as an error of its own, so that every test that needs it fails with it.
    static let shared: Result<SiteFixture, FixtureFailed> = {
        do { return .success(try SiteFixture()) } catch { return .failure(FixtureFailed(reason: "\(error)")) }
    }()

    /// Why the fixture could not be built.
    struct FixtureFailed: Error, CustomStringConvertible {
        var reason: String
        var description: String { "the site fixture could not be built: \(reason)" }
    }

    init() throws {
        folder = try TemporaryDirectory("lgreg-site")
        store = folder.path("store")
        site = folder.appending("site")
        again = folder.appending("again")
        let registry = repositoryRoot.appendingPathComponent("Registry")
        try Self.run(["publish", registry.appendingPathComponent("fmnist-tiny-sws.lgz").path, "--store", store])
        for tag in [tuned, scratch] {
            try Self.run(["pull", "oci:\(registry.appendingPathComponent("tuned").path):\(tag)", "--store", store])
        }
        let materialized = try Self.run(["materialize", learngene, "--depth", "6", "--store", store, "--json"])
        desNet = try #require(Self.object(materialized)["tag"] as? String)
        try Self.publishHostile(in: folder, store: store)
        verified = try Self.object(try Self.run(["verify", tuned, "--store", store, "--json"]))
        try Self.run(["verify", hostile, "--store", store])
        json = try Self.run(["site", "-o", site.path, "--store", store, "--json"])
        try Self.run(["site", "-o", again.path, "--store", store])
    }

    /// Runs lgreg, requiring exit 0; returns its standard output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let result = try runLgreg(arguments)
        try #require(result.status == 0, "lgreg \(arguments.joined(separator: " ")): \(result.summary)")
        return result.out
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text.prefix(300))")
    }

    /// A random learngene whose manifest's description and licence hold markup and event handlers, packed as
    /// `lgreg init` packs one (the manifest first) and published.
    static func publishHostile(in folder: TemporaryDirectory, store: String) throws {
        let archive = folder.path("hostile.lgz")
        try run([
            "init", "--preset", "fmnist-tiny", "--schedule", "2,1", "--random", "--seed", "1", "--name", "hostile",
            "-o", archive,
        ])
        let unpacked = folder.appending("hostile")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        let untar = try runProcess("/bin/sh", ["-c", "zstd -dc '\(archive)' | tar -x -C '\(unpacked.path)'"])
        try #require(untar.status == 0, "\(untar.summary)")
        let manifestURL = unpacked.appendingPathComponent("manifest.json")
        var manifest = try object(String(decoding: try Data(contentsOf: manifestURL), as: UTF8.self))
        manifest["description"] = hostileDescription
        manifest["license"] = hostileLicense
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(to: manifestURL)
        let hostile = folder.path("hostile-card.lgz")
        let tar = try runProcess(
            "/bin/sh",
            [
                "-c",
                "cd '\(unpacked.path)' && tar --owner=0 --group=0 -cf - manifest.json shared.safetensors layers/0.safetensors layers/1.safetensors | zstd -q -o '\(hostile)'",
            ])
        try #require(tar.status == 0, "\(tar.summary)")
        try run(["publish", hostile, "--store", store])
    }

    /// The text of `file` in the first site.
    func page(_ file: String) throws -> String {
        String(decoding: try Data(contentsOf: site.appendingPathComponent(file)), as: UTF8.self)
    }

    /// The page file of `reference`, as site.json lists it.
    func file(of reference: String) throws -> String {
        let pages = try #require(try Self.object(json)["pages"] as? [[String: Any]])
        let page = try #require(
            pages.first { ($0["references"] as? [String])?.contains(reference) == true }, "no page for \(reference)")
        return try #require(page["file"] as? String)
    }
}

/// `lgreg site`, run as users run it (`LGREG_TEST_BINARY`): deterministic bytes, hostile cards kept as text, a page
/// for each kind of entry, pages that say what `list`, `show`, `show --lineage`, `report accuracy`, `report
/// savings` and `verify` say, and every page checked in headless Chromium.
@Suite(.serialized) struct SiteCommandTests {
    var fixture: SiteFixture { get throws { try SiteFixture.shared.get() } }

    /// Every row and heading of every table of `html`, as the text of each cell.
    static func tableRows(_ html: String) -> [[String]] {
        let rows = html.components(separatedBy: "<tr").dropFirst()
        let cell = try! NSRegularExpression(pattern: "<t[hd][^>]*>(.*?)</t[hd]>", options: [.dotMatchesLineSeparators])
        let tag = try! NSRegularExpression(pattern: "<[^>]+>")
        return rows.map { row in
            let text = String(row.prefix { _ in true }.split(separator: "</tr>", maxSplits: 1).first ?? "")
            return cell.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
                let inner = String(text[Range(match.range(at: 1), in: text)!])
                let bare = tag.stringByReplacingMatches(
                    in: inner, range: NSRange(inner.startIndex..., in: inner), withTemplate: "")
                return unescape(bare)
            }
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The rows (header included) and the lines under the table of a `--markdown` report.
    static func markdown(_ text: String) -> (rows: [[String]], footer: [String]) {
        var rows: [[String]] = []
        var footer: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("|") {
                guard !line.hasPrefix("|---") else { continue }
                rows.append(
                    line.dropFirst(2).dropLast(2).components(separatedBy: " | ").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
            } else if !line.isEmpty {
                footer.append(line)
            }
        }
        return (rows, footer)
    }

    @Test func twoRunsWriteTheSameBytesAndAForeignFolderIsRefused() throws {
        let fixture = try fixture
        let first = try treeHash(fixture.site)
        #expect(first.count > 6, "\(first.keys.sorted())")
        #expect(first == (try treeHash(fixture.again)), "two runs on the same store differ")
        // Written again over itself: replaced as a whole, the same bytes.
        #expect(try runLgreg(["site", "-o", fixture.site.path, "--store", fixture.store]).status == 0)
        #expect(try treeHash(fixture.site) == first)
        // --json lists exactly the files the folder holds, and follows its schema.
        let listed = try #require(try SiteFixture.object(fixture.json)["files"] as? [String])
        #expect(Set(listed.map { "/" + $0 }) == Set(first.keys), "site.json: \(listed)")
        #expect(try SiteFixture.object(fixture.json)["output"] as? String == fixture.site.path)
        let (status, message) = try validateJSON(fixture.json, against: "site.schema.json")
        #expect(status == 0, "\(message)")
        let (fileStatus, fileMessage) = try validateJSON(try fixture.page("site.json"), against: "site.schema.json")
        #expect(fileStatus == 0, "\(fileMessage)")
        // A folder holding a file no site wrote is refused, untouched, with exit 64.
        let foreign = fixture.folder.appending("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let refused = try runLgreg(["site", "-o", foreign.path, "--store", fixture.store])
        #expect(refused.status == 64, "\(refused.summary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign.path) == ["notes.txt"])
        // A reference that names nothing is refused the way every command refuses one.
        let unknown = try runLgreg(["site", "no-such-entry", "-o", fixture.folder.path("x"), "--store", fixture.store])
        #expect(unknown.status == 64, "\(unknown.summary)")
        // No clock: nothing but the times the store recorded, no absolute path, nothing from the network.
        for name in listed where name.hasSuffix(".html") || name.hasSuffix(".css") || name.hasSuffix(".js") {
            let text = try fixture.page(name)
            #expect(!text.contains(fixture.folder.url.path), "\(name) holds an absolute path")
            #expect(!text.contains("http://") && !text.contains("https://") || name.hasSuffix(".html"), "\(name)")
            #expect(!text.contains("src=\"http") && !text.contains("href=\"http"), "\(name) loads from the network")
        }
    }

    @Test func aHostileCardStaysText() throws {
        let fixture = try fixture
        let page = try fixture.page(try fixture.file(of: fixture.hostile))
        #expect(page.contains(Self.escape(SiteFixture.hostileDescription)), "the description is not shown escaped")
        #expect(page.contains(Self.escape(SiteFixture.hostileLicense)), "the licence is not shown escaped")
        for name in try #require(try SiteFixture.object(fixture.json)["files"] as? [String]) {
            let text = try fixture.page(name)
            #expect(!text.contains("<script>document"), "\(name) holds the description's script")
            #expect(!text.contains("<img src=x"), "\(name) holds the description's image")
            #expect(!text.contains("\"onload="), "\(name) holds the description's handler unescaped")
            #expect(!text.contains("<script>alert"), "\(name) holds the licence's script")
            // The site's own markup has no inline script and no event handler.
            if name.hasSuffix(".html") {
                #expect(
                    !text.replacingOccurrences(of: "<script src=\"site.js\" defer></script>", with: "").contains(
                        "<script"))
                // Attribute values emptied first: escaped, they hold no quote, so what is left is the markup itself.
                let markup = text.replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
                #expect(markup.range(of: #"<[^>]*\son[a-z]+="#, options: .regularExpression) == nil, "\(name)")
            }
        }
        let index = try fixture.page("index.html")
        #expect(index.contains("data-search=\"" + Self.escape(SiteFixture.hostileDescription.lowercased())))
    }

    @Test func aPageForEachKindOfEntry() throws {
        let fixture = try fixture
        let pages = try #require(try SiteFixture.object(fixture.json)["pages"] as? [[String: Any]])
        let kinds = Dictionary(grouping: pages) { $0["entry"] as? String ?? "" }
        #expect(kinds["learngene"]?.count == 2, "\(pages)")
        #expect(kinds["desnet"]?.count == 1, "\(pages)")
        #expect(kinds["tuned"]?.count == 2, "\(pages)")
        let index = try fixture.page("index.html")
        for page in pages {
            let file = try #require(page["file"] as? String)
            let reference = try #require((page["references"] as? [String])?.first)
            #expect(try fixture.page(file).contains("<h1>\(Self.escape(reference))</h1>"), "\(file)")
            #expect(index.contains("<a href=\"\(file)\">\(Self.escape(reference))</a>"), "index does not link \(file)")
        }
        #expect(try fixture.page(try fixture.file(of: fixture.scratch)).contains("Des-Net trained from scratch"))
        #expect(try fixture.page(try fixture.file(of: fixture.desNet)).contains("Model card of the export"))
    }

    @Test func theEntriesNamedAndWhatDerivesFromALearngene() throws {
        let fixture = try fixture
        func pages(_ references: [String]) throws -> [String: String] {
            let output = fixture.folder.path("named-\(references.count)")
            let json = try SiteFixture.run(["site"] + references + ["-o", output, "--store", fixture.store, "--json"])
            let pages = try #require(try SiteFixture.object(json)["pages"] as? [[String: Any]])
            return Dictionary(
                uniqueKeysWithValues: pages.map {
                    (($0["references"] as? [String])?.first ?? "", $0["entry"] as? String ?? "")
                })
        }
        // A learngene brings its Des-Nets and tuned Des-Nets, not the store's other entries.
        #expect(
            try pages([fixture.learngene])
                == [fixture.learngene: "learngene", fixture.desNet: "desnet", fixture.tuned: "tuned"])
        // A tuned Des-Net and another learngene: those two alone; the tuned page names its learngene without a link.
        #expect(
            try pages([fixture.scratch, fixture.hostile]) == [fixture.scratch: "tuned", fixture.hostile: "learngene"])
        let alone = try pages([fixture.tuned])
        #expect(alone == [fixture.tuned: "tuned"])
        let page = String(
            decoding: try Data(
                contentsOf: fixture.folder.appending("named-1").appendingPathComponent(
                    try fixture.file(of: fixture.tuned))
            ), as: UTF8.self)
        #expect(
            page.contains("From the learngene \(fixture.learngene).")
                && !page.contains("href=\"fmnist-tiny-sws_2.html\""))
    }

    @Test func thePagesSayWhatTheCommandsSay() throws {
        let fixture = try fixture
        let store = ["--store", fixture.store]
        let index = try fixture.page("index.html")
        let indexRows = Self.tableRows(index)
        // list --all: every row, with its digest, kind and lineage.
        let list = try #require(
            try SiteFixture.object(try SiteFixture.run(["list", "--all", "--json"] + store))["list"] as? [[String: Any]]
        )
        #expect(list.count == 5, "\(list)")
        for row in list {
            let reference = try #require(row["reference"] as? String)
            let shown = try #require(indexRows.first { $0.first?.hasPrefix(reference) == true }, "no row \(reference)")
            let digest = try #require(row["digest"] as? String)
            #expect(shown[0].contains(String(digest.dropFirst("sha256:".count).prefix(12))), "\(shown)")
            if let lineage = row["lineage"] as? [String: Any], let learngene = lineage["learngene"] as? String {
                #expect(shown.last?.hasPrefix(learngene) == true, "\(shown)")
            }
            let bytes = try #require(row["totalBytes"] as? Int)
            #expect(index.contains("data-value=\"\(bytes)\""), "\(reference): \(bytes) bytes")
        }
        // show: the learngene's card and blobs; the tuned Des-Net's recorded top-1.
        let learngenePage = try fixture.page(try fixture.file(of: fixture.learngene))
        let shown = try #require(
            try SiteFixture.object(try SiteFixture.run(["show", fixture.learngene, "--json"] + store))["show"]
                as? [String: Any])
        let manifest = try #require(shown["manifest"] as? [String: Any])
        #expect(learngenePage.contains(Self.escape(try #require(manifest["description"] as? String))))
        for blob in try #require(shown["blobs"] as? [[String: Any]]) {
            #expect(learngenePage.contains(try #require(blob["digest"] as? String)))
        }
        let text = try SiteFixture.run(["show", fixture.learngene] + store)
        for line in text.split(separator: "\n").prefix(10).dropFirst(2) where !line.hasPrefix("Des-Nets") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].contains(" ") else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            #expect(
                learngenePage.contains("<dt>\(parts[0])</dt><dd>\(Self.escape(value))</dd>"), "show says \(line)")
        }
        let tunedPage = try fixture.page(try fixture.file(of: fixture.tuned))
        let tunedShown = try #require(
            try SiteFixture.object(try SiteFixture.run(["show", fixture.tuned, "--json"] + store))["show"]
                as? [String: Any])
        let recorded = try #require(
            ((tunedShown["tuned"] as? [String: Any])?["result"] as? [String: Any])?["top1"] as? Double)
        #expect(tunedPage.contains(String(format: "%.2f%%", 100 * recorded)), "recorded \(recorded)")
        // verify: the verdict and the re-measured top-1 on the tuned Des-Net's page; the index's verdicts.
        let verdict = try #require((fixture.verified["learngenes"] as? [[String: Any]])?.first)
        let measured = try #require(
            (verdict["checks"] as? [[String: Any]])?.first { $0["check"] as? String == "result" }?["measuredTop1"]
                as? Double)
        #expect(tunedPage.contains("Re-measured by <code>lgreg verify</code>"), "no re-measured top-1")
        #expect(tunedPage.contains("measured " + String(format: "%.2f%%", 100 * measured)), "measured \(measured)")
        #expect(tunedPage.contains("<span class=\"badge ok\">ok</span> last verified"))
        let verdicts = Dictionary(indexRows.compactMap { row in row.count > 6 ? (row[0], row[6]) : nil }) { a, _ in a }
        #expect(verdicts.first { $0.key.hasPrefix(fixture.tuned) }?.value.hasPrefix("ok") == true, "\(verdicts)")
        #expect(verdicts.first { $0.key.hasPrefix(fixture.desNet) }?.value == "never", "\(verdicts)")
        // show --lineage: every member of the tree, linked.
        let tree = try #require(
            try SiteFixture.object(try SiteFixture.run(["show", fixture.learngene, "--lineage", "--json"] + store))[
                "lineage"] as? [String: Any])
        func members(_ node: [String: Any]) -> [String] {
            [node["reference"] as? String ?? ""] + (node["children"] as? [[String: Any]] ?? []).flatMap(members)
        }
        #expect(members(tree).count == 3, "\(tree)")
        for member in members(tree) {
            #expect(
                learngenePage.contains("<a href=\"\(try fixture.file(of: member))\">\(Self.escape(member))</a>"),
                "the lineage lacks \(member)")
        }
        // report accuracy and report savings: the same table, cell for cell, and the same notes.
        let pageRows = Self.tableRows(learngenePage)
        for command in [["report", "accuracy", fixture.learngene], ["report", "savings", fixture.learngene]] {
            let report = Self.markdown(try SiteFixture.run(command + ["--markdown"] + store))
            #expect(report.rows.count > 2, "\(command)")
            for row in report.rows {
                #expect(pageRows.contains(row), "\(command.joined(separator: " ")): no row \(row)")
            }
            for line in report.footer {
                #expect(learngenePage.contains(Self.escape(line)), "\(command.joined(separator: " ")): no note \(line)")
            }
        }
        // The index: the whole store's accuracy report.
        for row in Self.markdown(try SiteFixture.run(["report", "accuracy", "--markdown"] + store)).rows {
            #expect(indexRows.contains(row), "report accuracy: no row \(row) in the index")
        }
        #expect(index.contains("<svg") && learngenePage.contains("<svg"), "the plots are not inline")
    }

    @Test func aBrowserOpensEveryPage() throws {
        let fixture = try fixture
        let shots =
            ProcessInfo.processInfo.environment["LGREG_SITE_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? fixture.folder.appending("screenshots")
        let script = repositoryRoot.appendingPathComponent("Tests/LgregSiteTests/Python/site_browser.py")
        let result = try runProcess(
            "python3",
            [
                script.path, fixture.site.path, shots.path, try fixture.file(of: fixture.hostile),
                try fixture.file(of: fixture.learngene),
            ], timeout: 300)
        #expect(result.status == 0, "\(result.out)\n\(result.err.suffix(2000))")
        let checked = try #require(try SiteFixture.object(result.out)["checked"] as? [String: Int], "\(result.out)")
        #expect(checked["pages"] == 6, "\(checked)")
        #expect((checked["plots"] ?? 0) >= 2 && (checked["links"] ?? 0) > 20 && (checked["sorts"] ?? 0) == 18)
        for name in ["index.png", "learngene.png"] {
            let size =
                (try FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(name).path)[.size]
                    as? Int) ?? 0
            #expect(size > 10_000, "\(name): \(size) bytes")
        }
    }
}
