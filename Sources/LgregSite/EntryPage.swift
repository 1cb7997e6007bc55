import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregReports
import LgregResolver
import LgregStore
import LgregVocabulary
import LgregZoo

/// The page of one entry: a learngene's card, declared results, lineage, accuracy plots, savings, digests and
/// commands; a Des-Net's or tuned Des-Net's lineage, configuration or recipe, top-1, digests, commands and the model
/// card its export carries.
struct EntryPage {
    let catalog: Catalog
    let digest: Digest

    func html() throws -> String {
        let tags = catalog.tags(digest)
        let reference = tags.first ?? digest.short
        guard let detail = EntryDetail.read(digest, in: catalog.store) else {
            let damage = catalog.entries.first { $0.digest == digest }?.damage ?? "its manifest does not read"
            return SiteAssets.page(
                title: reference,
                body: "<h1>\(HTML.escape(reference))</h1>\n<p class=\"subtitle\">damaged: \(HTML.escape(damage))</p>")
        }
        var body: [String] = []
        switch detail {
        case .learngene(let stored):
            body.append(heading(reference, kind: "\(stored.manifest.kind.rawValue) learngene", tags: tags))
            body += try learngene(stored, reference: reference, tags: tags)
        case .desNet(let entry, let config, _, let problem):
            body.append(heading(reference, kind: "Des-Net", tags: tags))
            body += try desNet(entry, config: config, problem: problem, reference: reference, detail: detail)
        case .tuned(let entry, let stored, let problem):
            let scratch = stored?.config.lineage.initialization == .scratch
            body.append(
                heading(reference, kind: scratch ? "Des-Net trained from scratch" : "tuned Des-Net", tags: tags))
            body += try tuned(entry, stored: stored, problem: problem, reference: reference, detail: detail)
        }
        return SiteAssets.page(title: "\(reference) · lgreg registry", body: body.joined(separator: "\n"))
    }

    // MARK: Sections every kind has

    func heading(_ reference: String, kind: String, tags: [String]) -> String {
        """
        <nav class="small"><a href="index.html">All entries</a></nav>
        <h1>\(HTML.escape(reference))</h1>
        <p class="subtitle"><span class="kind">\(HTML.escape(kind))</span> · <span class="digest">\(HTML.escape(digest.description))</span>\
        \(tags.count > 1 ? " · also tagged " + tags.dropFirst().map(HTML.escape).joined(separator: ", ") : "")</p>
        """
    }

    /// The last verdict of `lgreg verify`, its time and its checks.
    func verification() -> String {
        var out = ["<h2 id=\"verification\">Verification</h2>"]
        guard let last = catalog.verifications[digest] else {
            out.append(
                "<p>\(IndexPage.badge(nil)) never verified in this store: <code>lgreg verify \(HTML.escape(catalog.tags(digest).first ?? digest.short))</code> re-measures it.</p>"
            )
            return out.joined(separator: "\n")
        }
        out.append("<p>\(IndexPage.badge(last)) last verified \(HTML.escape(IndexPage.time(last.checked))) (UTC)</p>")
        let checks = last.checks.components(separatedBy: "; ").filter { !$0.isEmpty }
        if !checks.isEmpty {
            out.append(
                "<ul class=\"checks\">" + checks.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>")
        }
        return out.joined(separator: "\n")
    }

    /// The family tree of the learngene this entry belongs to, each member linked to its page.
    func lineage(_ resolved: ResolvedEntry) -> String {
        guard let tree = try? LineageTree.of(resolved, in: catalog.store) else {
            return "<h2 id=\"lineage\">Lineage</h2>\n<p>Its learngene is no longer in the store.</p>"
        }
        func item(_ member: LineageTree) -> String {
            let digest = Digest(member.digest)
            let name = member.reference ?? "\(digest?.short ?? member.digest) (untagged)"
            let here = digest == self.digest ? " class=\"here\"" : ""
            let label =
                "<span class=\"node\">\(HTML.link(name, to: catalog.file(digest)))</span> <span class=\"kind\">\(HTML.escape(member.detail))</span>"
            let children = member.children.isEmpty ? "" : "<ul>" + member.children.map(item).joined() + "</ul>"
            return "<li\(here)>\(label)\(children)</li>"
        }
        let members = "<ul class=\"tree\">" + item(tree) + "</ul>"
        let teacher = Digest(tree.digest).flatMap { try? catalog.store.learngene(at: $0) }?.manifest.provenance.ancestry
        return "<h2 id=\"lineage\">Lineage</h2>\n<p class=\"note\">Teacher → learngene → Des-Nets → tuned Des-Nets; "
            + "the learngene's family as <code>lgreg show --lineage</code> draws it.</p>\n<ul class=\"tree\">"
            + (teacher.map {
                "<li><span class=\"node\">\(HTML.escape($0))</span> <span class=\"kind\">teacher (distilled from)</span>"
                    + members + "</li>"
            } ?? item(tree)) + "</ul>"
    }

    /// The blobs an entry's manifest names, with their digests and sizes.
    func digests(_ image: ImageManifest) -> String {
        let table = ReportTable(
            columns: [.init("file", "File"), .init("role", "Role"), .init("digest", "Digest"), .init("bytes", "Size")],
            rows: [
                [.text("manifest"), .text("OCI image manifest"), .text(digest.description), .empty],
                [
                    .text("config"), .text(image.config.mediaType), .text(image.config.digest.description),
                    .int(image.config.size, shown: ByteCount.text(image.config.size)),
                ],
            ]
                + image.layers.map { d in
                    [
                        .text(d.annotations?[OCIAnnotation.title] ?? ""),
                        .text(d.annotations?[OCIAnnotation.role] ?? d.mediaType), .text(d.digest.description),
                        .int(d.size, shown: ByteCount.text(d.size)),
                    ]
                })
        return "<h2 id=\"digests\">Digests</h2>\n" + HTML.table(table, id: "digest-table")
    }

    /// The Markdown card `lgreg export` writes, shown as text.
    func exportCard(_ detail: EntryDetail, reference: String) -> String {
        guard let card = detail.exportCard(in: catalog.store) else { return "" }
        return """
            <h2 id="card">Model card of the export</h2>
            <details><summary>README.md as <code>lgreg export \(HTML.escape(reference)) -o DIR</code> writes it</summary>
            <pre>\(HTML.escape(card))</pre>
            </details>
            """
    }

    // MARK: A learngene

    func learngene(_ stored: StoredLearngene, reference: String, tags: [String]) throws -> [String] {
        let manifest = stored.manifest
        var body = ["<h2 id=\"card\">Model card</h2>"]
        var facts = manifest.facts.map { ($0.label, $0.value) }
        if let created = catalog.learngenes[digest]?.created { facts.append(("created", created)) }
        let damage = catalog.learngenes[digest]?.damage
        facts.append(("integrity", damage.map { "DAMAGED: \($0)" } ?? "every blob listed as intact by the store"))
        body.append(HTML.facts(facts))
        body.append(commands(manifest, reference: reference))
        body.append(verification())
        body.append(lineage(.learngene(stored)))
        body.append(try accuracy(reference))
        body.append(savings(manifest, reference: reference))
        body.append("<h2 id=\"results\">Declared results</h2>")
        body.append(
            manifest.results.isEmpty
                ? "<p>None declared (<code>lgreg eval ARCHIVE.lgz --depths 6-15 --declare OUT.lgz</code> declares them).</p>"
                : "<p class=\"note\">As the manifest declares them; <code>lgreg verify</code> re-measures each.</p>\n"
                    + HTML.folded(
                        HTML.table(LearngeneManifest.declaredTable(manifest.results)),
                        summary: "\(manifest.results.count) declared results", rows: manifest.results.count))
        body.append(digests(stored.imageManifest))
        return body
    }

    /// How to fetch and use the learngene.
    func commands(_ manifest: LearngeneManifest, reference: String) -> String {
        let depth =
            manifest.results.map(\.depth).filter { $0 < manifest.schedule.depth }.max() ?? manifest.schedule.depth
        let file = "\(manifest.name)-\(manifest.version)"
        return """
            <h2 id="commands">Commands</h2>
            <p class="note">From a registry it was pushed to (the digest is the same in every registry and store), \
            then in the store: a Des-Net of depth \(depth) materialized and exported for timm, the archive exported, \
            the declared results re-measured.</p>
            """
                + HTML.commands([
                    "lgreg pull REGISTRY/REPOSITORY@\(digest)",
                    "lgreg materialize \(reference) --depth \(depth) --output \(file)-d\(depth)",
                    "lgreg export \(reference) -o \(file).lgz",
                    "lgreg verify \(reference)",
                    "lgreg push \(reference) REGISTRY/REPOSITORY:\(manifest.version)",
                ])
    }

    /// The accuracy report of the learngene and what was tuned from it, its two plots inline.
    func accuracy(_ reference: String) throws -> String {
        let report = try AccuracyCollection.report([reference], in: catalog.store)
        guard !report.rows.isEmpty else {
            return "<h2 id=\"accuracy\">Accuracy</h2>\n<p>No accuracy on the test set declared or recorded yet.</p>"
        }
        return IndexPage.accuracySection(report, command: "lgreg report accuracy \(reference)")
    }

    /// What the learngene saves against pre-training a model of every depth (SWS learngenes, whose schedule it
    /// needs), as `lgreg report savings REF --depths 6-15` prints it.
    func savings(_ manifest: LearngeneManifest, reference: String) -> String {
        var out = ["<h2 id=\"savings\">Savings against pre-training every depth</h2>"]
        guard manifest.kind == .sws else {
            out.append(
                "<p>The savings report is of SWS learngenes (it needs their stage schedule); this one is \(HTML.escape(manifest.kind.rawValue)).</p>"
            )
            return out.joined(separator: "\n")
        }
        let report = SavingsReport(
            subject: reference, architecture: manifest.architecture, schedule: manifest.schedule,
            depths: Array(6...15))
        out.append(
            "<p class=\"note\">Des-Nets of depths 6–15 as <code>lgreg report savings \(HTML.escape(reference)) --depths 6-15</code> prints them: "
                + "P-S is the parameters of each depth pre-trained separately.</p>")
        out.append(HTML.table(report.table))
        return out.joined(separator: "\n")
    }

    // MARK: A Des-Net

    func desNet(
        _ entry: DerivedEntry, config: TimmConfig?, problem: String?, reference: String, detail: EntryDetail
    ) throws -> [String] {
        var body = ["<h2 id=\"card\">Des-Net</h2>"]
        var facts = [("lineage", lineageSummary(entry))]
        if let lineage = entry.lineage { facts.append(("learngene digest", lineage.learngeneDigest.description)) }
        facts += (config?.facts(reference: reference) ?? []).map { ($0.label, $0.value) }
        if let created = entry.image.annotations?[OCIAnnotation.created] { facts.append(("created", created)) }
        if let problem { facts.append(("problem", problem)) }
        body.append(learngeneLink(entry))
        body.append(HTML.facts(facts))
        if let top1 = detail.top1 {
            body.append(
                "<p>Top-1 <strong>\(HTML.escape(Top1(fraction: top1.value).percentText))</strong>: \(HTML.escape(top1.note)).</p>"
            )
        }
        body.append(verification())
        body.append(lineage(.derived(entry)))
        body.append(digests(entry.image))
        body.append("<h2 id=\"commands\">Commands</h2>")
        body.append(
            HTML.commands([
                "lgreg export \(reference) -o \(Catalog.fileName(reference))",
                "lgreg eval \(reference)",
                "lgreg verify \(reference)",
                "lgreg finetune \(reference) --epochs 1",
            ]))
        body.append(exportCard(detail, reference: reference))
        return body
    }

    // MARK: A tuned Des-Net

    func tuned(
        _ entry: DerivedEntry, stored: TunedDesNet.Stored?, problem: String?, reference: String, detail: EntryDetail
    ) throws -> [String] {
        var body = ["<h2 id=\"card\">Tuned Des-Net</h2>"]
        body.append(learngeneLink(entry))
        var facts: [(String, String)] = [
            (
                "lineage",
                stored?.config.lineage.initialization == .scratch
                    ? "trained from scratch, no learngene" : lineageSummary(entry)
            )
        ]
        if let untuned = stored?.config.lineage.untunedDesNetDigest, let untunedDigest = Digest(untuned) {
            facts.append(("started from", catalog.tags(untunedDigest).first ?? untuned))
        }
        facts += (stored?.config.facts ?? []).map { ($0.label, $0.value) }
        if let created = entry.image.annotations?[OCIAnnotation.created] { facts.append(("created", created)) }
        if let problem { facts.append(("problem", problem)) }
        body.append(HTML.facts(facts))
        if let result = stored?.config.result {
            body.append("<h2 id=\"top1\">Top-1</h2>")
            var lines = [
                "<p>Recorded: <strong>\(HTML.escape(Top1(fraction: result.top1).percentText))</strong> on \(HTML.escape(result.evalSet)) (\(result.correct)/\(result.images) images).</p>"
            ]
            let measured = catalog.verifications[digest]?.checks.components(separatedBy: "; ").first {
                $0.hasPrefix("result ")
            }
            lines.append(
                measured.map { "<p>Re-measured by <code>lgreg verify</code>: \(HTML.escape($0)).</p>" }
                    ?? "<p>Not re-measured in this store yet: <code>lgreg verify \(HTML.escape(reference))</code>.</p>")
            body += lines
        }
        body.append(verification())
        if entry.lineage != nil { body.append(lineage(.derived(entry))) }
        body.append(digests(entry.image))
        body.append("<h2 id=\"commands\">Commands</h2>")
        body.append(
            HTML.commands([
                "lgreg export \(reference) -o \(Catalog.fileName(reference))",
                "lgreg eval \(Catalog.fileName(reference))",
                "lgreg verify \(reference)",
            ]))
        body.append(exportCard(detail, reference: reference))
        return body
    }

    /// `fmnist-tiny-sws:1, depth 12, cyclic (front-mid-last)`, or why there is none.
    func lineageSummary(_ entry: DerivedEntry) -> String {
        guard let lineage = entry.lineage else { return "its learngene is no longer in the store" }
        return lineage.summary + (lineage.orphaned ? " (orphaned: its learngene is no longer tagged)" : "")
    }

    /// A line linking the learngene an entry derives from, when the site holds its page.
    func learngeneLink(_ entry: DerivedEntry) -> String {
        guard let lineage = entry.lineage else { return "" }
        let name = lineage.learngene ?? lineage.learngeneDigest.short
        return "<p>From the learngene \(HTML.link(name, to: catalog.file(lineage.learngeneDigest))).</p>"
    }
}
