import ArgumentParser
import Foundation
import LgregCore
import LgregReports
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg list [--all] [--kind K] [--name N] [--size]`
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract:
            "List the learngenes in the store (with --all, also the Des-Nets and other entries derived from them), one row per tag.",
        discussion: """
            Without options: the learngenes. --all adds the derived entries (materialized Des-Nets, tuned Des-Nets), \
            each with its lineage (learngene, depth, strategy and order), and leaves out the digest and creation time \
            to fit a terminal (--json has them); --kind learngene|desnet|tuned|sws|tleg|plain and --name NAME \
            (an entry's own name, or the learngene a derived entry comes from) filter, and imply --all. --size adds \
            the bytes only that entry reaches (what removing it and `lgreg gc` would free) and the bytes it shares \
            with other entries (`lgreg du` sums them). A damaged entry (a blob missing or unreadable; `lgreg fsck` \
            says more) is listed with kind DAMAGED and a warning on stderr, and the exit status is then 1. Where there \
            is no store yet the listing is empty. The current learngene (`lgreg use`) is marked with *. --json \
            follows Schemas/store-output.schema.json. With HOST/REPO it lists a registry's tags instead (see \
            `lgreg pull`). \(ExitStatus.help)
            """)

    @Argument(
        help:
            "HOST[:PORT]/REPOSITORY lists a registry repository's tags, HOST[:PORT]/ the registry's catalog (text or --json)."
    )
    var remote: String?
    @Flag(help: "Also list derived entries: materialized and tuned Des-Nets, with their lineage.")
    var all = false
    @Option(
        help:
            "Only entries of this kind: learngene, desnet, tuned, or a learngene kind: sws, tleg, plain (implies --all)."
    )
    var kind: String?
    @Option(help: "Only entries named NAME, or derived from a learngene named NAME (implies --all).")
    var name: String?
    @Flag(help: "Add each entry's unique and shared bytes.")
    var size = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var registry: RegistryOptionGroup

    /// One row of the listing (`list` in Schemas/store-output.schema.json).
    struct Row: Encodable {
        var reference: String
        var digest: Digest
        var name: String
        var version: String
        /// A learngene's kind (sws, tleg, plain), or a derived entry's (desnet, tuned, …).
        var kind: String
        /// `learngene`, `desnet`, `tuned`, …
        var entry: String
        var layers: Int?
        var storedParameters: Int?
        /// A derived entry's parameters at its depth (a Des-Net's layers are the learngene's blobs; a tuned one stores them).
        var parameters: Int?
        var totalBytes: Int
        var created: String?
        var damage: String?
        var current: Bool?
        var lineage: EntryLineage?
        var uniqueBytes: Int?
        var sharedBytes: Int?
    }

    func run() throws {
        if let remote { return try RemoteListing.run(remote, json: output.json, registry: registry) }
        let rows = try localRows()
        try render(rows)
        let damaged = rows.filter { $0.damage != nil }
        for row in damaged {
            FileHandle.standardError.write(Data("warning: \(row.reference) is damaged: \(row.damage ?? "")\n".utf8))
        }
        if !damaged.isEmpty { throw ExitCode(1) }
    }

    /// The rows of the local store, filtered; none where there is no store yet.
    /// - Throws: `ValidationError` naming an unknown `--kind`.
    func localRows() throws -> [Row] {
        let opened: LearngeneStore
        do { opened = try store.open() } catch StoreError.noStore { return try filtered([], kinds: []) }
        var rows: [Row] = try opened.list().map { summary in
            Row(
                reference: summary.reference, digest: summary.digest, name: summary.name, version: summary.version,
                kind: summary.kind,
                entry: EntryKind.learngene.rawValue, layers: summary.layers, storedParameters: summary.storedParameters,
                totalBytes: summary.totalBytes,
                created: summary.created, damage: summary.damage,
                current: try CurrentLearngene.marks(summary, in: opened))
        }
        let entries = try ZooEntry.all(in: opened)
        if all || kind != nil || name != nil {
            rows += entries.filter { !$0.isLearngene }.map { entry in
                let parts = entry.reference.split(separator: ":", maxSplits: 1).map(String.init)
                return Row(
                    reference: entry.reference, digest: entry.digest, name: parts[0],
                    version: parts.count > 1 ? parts[1] : "",
                    kind: entry.kind, entry: entry.kind, layers: entry.depth, parameters: entry.parameters,
                    totalBytes: entry.bytes, created: entry.created,
                    damage: entry.damage, lineage: entry.lineage)
            }
            // Each learngene, then what derives from it.
            rows.sort {
                ($0.lineage?.learngene ?? $0.reference, $0.lineage == nil ? 0 : 1, $0.reference)
                    < ($1.lineage?.learngene ?? $1.reference, $1.lineage == nil ? 0 : 1, $1.reference)
            }
        }
        if size {
            let usage = Dictionary(try opened.usage().entries.map { ($0.reference, $0) }) { first, _ in first }
            for index in rows.indices {
                rows[index].uniqueBytes = usage[rows[index].reference]?.uniqueBytes
                rows[index].sharedBytes = usage[rows[index].reference]?.sharedBytes
            }
        }
        return try filtered(rows, kinds: Set(entries.map(\.kind)))
    }

    /// Applies `--kind` and `--name`; `kinds` are those in the store, known besides lgreg's own.
    private func filtered(_ rows: [Row], kinds: Set<String>) throws -> [Row] {
        var rows = rows
        if let kind {
            // An entry's kind (learngene, desnet, tuned, …) or a learngene's (sws, tleg, plain): both print in Kind.
            let known = Set(EntryKind.allCases.map(\.rawValue)).union(kinds).union(
                LearngeneKind.allCases.map(\.rawValue))
            guard known.contains(kind) else {
                throw ValidationError(
                    "--kind '\(String(kind.prefix(100)))' is not a kind of entry: \(known.sorted().joined(separator: ", "))."
                )
            }
            rows = rows.filter { $0.entry == kind || $0.kind == kind }
        }
        if let name {
            rows = rows.filter {
                $0.name == name || $0.lineage?.learngene?.split(separator: ":").first.map(String.init) == name
            }
        }
        return rows
    }

    private func render(_ rows: [Row]) throws {
        if output.format == .json { return try printReport("list", rows) }
        let derived = rows.contains { $0.entry != EntryKind.learngene.rawValue }
        // With derived entries, the lineage takes the room of the digest and creation time (--json keeps them).
        var columns: [ReportTable.Column] = [.init("current", " "), .init("reference", "Reference", leftAligned: true)]
        if !derived { columns.append(.init("digest", "Digest")) }
        columns += [
            .init("kind", "Kind"), .init("layers", derived ? "Depth" : "Layers"), .init("parameters", "Params (M)"),
            .init("bytes", "Size"),
        ]
        if size { columns += [.init("uniqueBytes", "Unique"), .init("sharedBytes", "Shared")] }
        if !derived { columns.append(.init("created", "Created")) }
        if derived { columns.append(.init("lineage", "Lineage", leftAligned: true)) }
        let table = ReportTable(
            columns: columns,
            rows: rows.map { r in
                var cells: [ReportTable.Cell] = [.text(r.current == true ? "*" : ""), .text(r.reference)]
                if !derived { cells.append(.text(r.digest.short)) }
                cells += [
                    .text(r.damage == nil ? r.kind : "DAMAGED"),
                    r.layers.map { .int($0, shown: "\($0)") } ?? .empty,
                    (r.storedParameters ?? r.parameters).map { .millions($0) } ?? .empty,
                    .int(r.totalBytes, shown: formatBytes(r.totalBytes)),
                ]
                if size {
                    cells += [
                        r.uniqueBytes.map { .int($0, shown: formatBytes($0)) } ?? .empty,
                        r.sharedBytes.map { .int($0, shown: formatBytes($0)) } ?? .empty,
                    ]
                }
                if !derived { cells.append(r.created.map { .text($0) } ?? .empty) }
                if derived { cells.append(.text(r.lineage?.summary ?? "")) }
                return cells
            })
        print(table.rendered(output.format), terminator: "")
    }
}
