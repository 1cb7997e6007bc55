import Foundation
import LgregArchive
import LgregCore
import LgregReports
import LgregStore
import LgregVocabulary
import LgregZoo

/// `index.html`: every entry the site holds, one row per tag as `lgreg list --all` lists them, with a filter box
/// and sortable columns, then the accuracy report of what it holds (`lgreg report accuracy`).
struct IndexPage {
    let catalog: Catalog

    /// A column of the entries table: its heading, and whether it sorts by number.
    struct Column {
        var title: String
        var numeric: Bool
    }

    static let columns = [
        Column(title: "Entry", numeric: false), Column(title: "Kind", numeric: false),
        Column(title: "Layers / depth", numeric: true), Column(title: "Params (M)", numeric: true),
        Column(title: "Size", numeric: true), Column(title: "Top-1 %", numeric: true),
        Column(title: "Verified", numeric: false), Column(title: "Created", numeric: false),
        Column(title: "Lineage", numeric: false),
    ]

    func html() throws -> String {
        var details: [Digest: EntryDetail] = [:]
        for entry in catalog.entries where details[entry.digest] == nil {
            details[entry.digest] = EntryDetail.read(entry.digest, in: catalog.store)
        }
        let counts = Dictionary(grouping: catalog.entries, by: \.kind).mapValues(\.count)
        let summary = [("learngene", "learngene"), ("desnet", "Des-Net"), ("tuned", "tuned Des-Net")].map {
            Plural.count(counts[$0.0] ?? 0, $0.1)
        }.joined(separator: ", ")
        var body = [
            "<h1>Learngenes and Des-Nets</h1>",
            "<p class=\"intro\">\(HTML.escape(summary)) in this store, one row per tag, as <code>lgreg list --all</code> lists them. "
                + "Each entry's page has its card, lineage, accuracy, digests and the commands to fetch and use it.</p>",
            """
            <div class="controls"><label for="filter">Filter</label>\
            <input id="filter" type="search" placeholder="name, tag, kind, strategy, verdict…" autocomplete="off">\
            <span class="small"><span id="shown">\(catalog.entries.count)</span> of \(catalog.entries.count) shown</span></div>
            """,
            "<div class=\"table-wrap\"><table id=\"entries\">",
            "<thead><tr>"
                + Self.columns.map {
                    "<th scope=\"col\" data-type=\"\($0.numeric ? "number\" class=\"num" : "text")\"><button type=\"button\">\(HTML.escape($0.title))</button></th>"
                }.joined() + "</tr></thead>",
            "<tbody>",
        ]
        body += catalog.entries.map { row($0, detail: details[$0.digest] ?? nil) }
        body.append("</tbody></table></div>")
        body.append(
            "<p class=\"note\">Params: what a learngene stores; a Des-Net's parameters at its depth (none stored anew: its layers are "
                + "its learngene's blobs); a tuned Des-Net stores its own. Verified: the last <code>lgreg verify</code> verdict "
                + "this store recorded.</p>")
        let accuracyReferences =
            catalog.references.isEmpty ? [] : catalog.entries.filter { $0.kind != "desnet" }.map(\.reference)
        if catalog.references.isEmpty || !accuracyReferences.isEmpty {
            let report = try AccuracyCollection.report(accuracyReferences, in: catalog.store)
            if !report.rows.isEmpty {
                body.append(
                    Self.accuracySection(
                        report, command: "lgreg report accuracy" + (catalog.references.isEmpty ? "" : " REF…")))
            }
        }
        return SiteAssets.page(title: "lgreg registry", body: body.joined(separator: "\n"), script: true)
    }

    /// One row: the tag linked to its page, kind, layers or depth, parameters, size, top-1, verdict, creation, lineage.
    func row(_ entry: ZooEntry, detail: EntryDetail?) -> String {
        let listing = catalog.learngenes[entry.digest]
        let verification = catalog.verifications[entry.digest]
        var kind = entry.kind
        var layers: ReportTable.Cell = entry.depth.map { .int($0, shown: "depth \($0)") } ?? .empty
        var parameters: ReportTable.Cell = entry.parameters.map(ReportTable.Cell.millions) ?? .empty
        var words: [String] = []
        switch detail {
        case .learngene(let stored):
            kind = "learngene (\(stored.manifest.kind.rawValue))"
            // The schedule where it groups layers into stages (an SWS learngene's), else the count alone.
            let schedule = stored.manifest.schedule
            let stages = schedule.depth > schedule.stageCount ? " (\(schedule))" : ""
            layers = .int(
                stored.manifest.layers.count, shown: "\(stored.manifest.layers.count) of \(schedule.depth)\(stages)"
            )
            words.append(stored.manifest.description)
        case .desNet:
            kind = "Des-Net"
        case .tuned(_, let stored?, _):
            kind = stored.config.lineage.initialization == .scratch ? "tuned (scratch)" : "tuned"
        default: break
        }
        if let listing { parameters = .millions(listing.storedParameters) }
        if entry.damage != nil { kind = "DAMAGED" }
        let top1 =
            detail?.top1.map {
                "<td class=\"num\" data-value=\"\(100 * $0.value)\" title=\"\(HTML.escape($0.note))\">"
                    + HTML.escape(String(format: "%.2f", 100 * $0.value)) + "</td>"
            } ?? "<td class=\"num\"></td>"
        let cells = [
            "<td class=\"entry\">" + HTML.link(entry.reference, to: catalog.file(entry.digest))
                + "<div class=\"small mono\">\(HTML.escape(entry.digest.short))</div></td>",
            "<td class=\"kind\">\(HTML.escape(kind))</td>",
            HTML.cell(layers),
            HTML.cell(parameters),
            HTML.cell(.int(entry.bytes, shown: ByteCount.text(entry.bytes))),
            top1,
            "<td data-value=\"\(HTML.escape(verification?.verdict.rawValue ?? "never")) \(HTML.escape(verification?.checked ?? ""))\">"
                + Self.badge(verification)
                + (verification.map { "<div class=\"small nowrap\">\(HTML.escape(Self.time($0.checked)))</div>" } ?? "")
                + "</td>",
            "<td class=\"small nowrap\">\(HTML.escape(entry.created.map(Self.time) ?? ""))</td>",
            "<td class=\"small\">\(HTML.escape(entry.lineage?.summary ?? (entry.isLearngene ? "" : "from scratch")))</td>",
        ]
        words += [
            entry.reference, kind, entry.lineage?.summary ?? "", verification?.verdict.rawValue ?? "never",
            entry.digest.short,
        ]
        let search = words.joined(separator: " ").lowercased()
        return "<tr data-search=\"\(HTML.escape(search))\">" + cells.joined() + "</tr>"
    }

    /// The verdict as a coloured word: ok, mismatch, damaged, cannot-verify, never.
    static func badge(_ verification: LastVerification?) -> String {
        let verdict = verification?.verdict.rawValue ?? "never"
        return "<span class=\"badge \(HTML.escape(verdict))\">\(HTML.escape(verdict))</span>"
    }

    /// A recorded ISO 8601 time as `2026-12-06 17:52` (to the minute; the store's own text, not the clock).
    static func time(_ recorded: String) -> String {
        guard recorded.count >= 16, recorded.dropFirst(10).first == "T" else { return recorded }
        return String(recorded.prefix(10)) + " " + String(recorded.dropFirst(11).prefix(5))
    }

    /// The accuracy report: its two plots (inline SVG) and its table.
    static func accuracySection(_ report: AccuracyReport, command: String) -> String {
        """
        <h2 id="accuracy">Accuracy against depth and against storage</h2>
        <p class="note">Top-1 on \(HTML.escape(report.evalSet)) of every strategy at every depth, untuned and tuned, \
        beside the parameters each approach stores, as <code>\(HTML.escape(command))</code> reports it.</p>
        <div class="plot">
        \(AccuracyPlot.svg(report))
        </div>
        \(HTML.folded(HTML.table(report.table), summary: "The report's \(report.rows.count) rows", rows: report.rows.count))
        """
    }
}
