import Foundation
import LgregCore
import LgregStore
import LgregVocabulary
import LgregZoo

/// `lgreg site`: a store (or the entries named) as a static site: `index.html` (every learngene, Des-Net and tuned
/// Des-Net, filterable and sortable, with the store's accuracy report), a page per entry, `site.css`, `site.js`
/// and `site.json` (what was written). Links are relative and nothing is loaded from the network, so the folder
/// opens from `file://` or any static host; the same store gives the same bytes (no clock is read).
public enum StaticSite {
    /// One page of the site.
    public struct Page: Codable, Equatable, Sendable {
        /// The file, relative to the site's folder.
        public var file: String
        /// `learngene`, `desnet` or `tuned`.
        public var entry: String
        /// Its tags.
        public var references: [String]
        public var digest: String
    }

    /// What a site holds (`site.json`, and what `lgreg site --json` prints; `Schemas/site.schema.json`).
    public struct Contents: Codable, Equatable, Sendable {
        public static let currentVersion = 1
        public var schemaVersion = Self.currentVersion
        /// Every file of the folder, sorted.
        public var files: [String]
        /// The entry pages, by file.
        public var pages: [Page]
        /// The folder written: in what `lgreg site --json` prints, not in `site.json` (which must not depend on it).
        public var output: String?
    }

    /// The file that records what a site folder holds.
    public static let contentsFile = "site.json"
    /// The files every site has besides its entry pages.
    static let fixedFiles = ["index.html", "site.css", "site.js", contentsFile]
    /// The entry kinds a site shows.
    static let kinds: Set<String> = [EntryKind.learngene.rawValue, EntryKind.desnet.rawValue, EntryKind.tuned.rawValue]

    /// The site of `references` (learngenes with every entry derived from them, Des-Nets, tuned Des-Nets; empty:
    /// the whole store): each file's bytes by name.
    /// - Throws: `StoreError.notFound` for a reference that names nothing; what reading the store throws.
    public static func render(_ references: [String], in store: LearngeneStore) throws -> (
        contents: Contents, files: [String: Data]
    ) {
        let catalog = try Catalog(references, in: store)
        var files: [String: String] = [:]
        files["index.html"] = try IndexPage(catalog: catalog).html()
        for (digest, file) in catalog.files {
            files[file] = try EntryPage(catalog: catalog, digest: digest).html()
        }
        files["site.css"] = SiteAssets.css
        files["site.js"] = SiteAssets.script
        let pages = catalog.files.map { digest, file in
            Page(
                file: file, entry: catalog.entries.first { $0.digest == digest }?.kind ?? "",
                references: catalog.entries.filter { $0.digest == digest }.map(\.reference).sorted(),
                digest: digest.description)
        }.sorted { $0.file < $1.file }
        let contents = Contents(files: (Array(files.keys) + [contentsFile]).sorted(), pages: pages)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var bytes = files.mapValues { Data($0.utf8) }
        bytes[contentsFile] = try encoder.encode(contents) + Data("\n".utf8)
        return (contents, bytes)
    }

    /// Writes the site of `references` into `directory`, replacing a site written there before as a whole.
    /// - Throws: `FileSystemError` of kind `.refused` when `directory` is not a folder or holds files other than a
    ///   previous site's (as its `site.json` lists them); what `render` throws.
    @discardableResult
    public static func write(_ references: [String], in store: LearngeneStore, to directory: URL) throws -> Contents {
        let (contents, files) = try render(references, in: store)
        var names = Set(files.keys)
        if let previous = try? Data(contentsOf: directory.appendingPathComponent(contentsFile)),
            let listed = try? JSONDecoder().decode(Contents.self, from: previous)
        {
            names.formUnion(listed.files.filter { !$0.contains("/") && !$0.hasPrefix(".") })
        }
        try AtomicDirectory.replace(directory, holding: names) { folder in
            for (name, data) in files.sorted(by: { $0.key < $1.key }) {
                try AtomicFileWriter.write(data, to: folder.appendingPathComponent(name))
            }
        }
        return contents
    }
}

/// What the site shows, read from the store once: the entries chosen, the learngenes' listings, the last verdict
/// on each, and the page file of each entry.
struct Catalog {
    let store: LearngeneStore
    /// The entries shown, one per tag, each learngene followed by what derives from it (as `list --all` orders them).
    var entries: [ZooEntry]
    /// The learngenes' listings by digest (`lgreg list`).
    var learngenes: [Digest: LearngeneSummary]
    /// The last `lgreg verify` verdict on each digest.
    var verifications: [Digest: LastVerification]
    /// The page of each entry shown, by digest.
    var files: [Digest: String]
    /// The references asked for (empty: the whole store), for the accuracy report.
    var references: [String]

    init(_ references: [String], in store: LearngeneStore) throws {
        self.store = store
        self.references = references
        var entries = try ZooEntry.all(in: store).filter { StaticSite.kinds.contains($0.kind) }
        if !references.isEmpty {
            var chosen: Set<Digest> = []
            for reference in references {
                let digest = try store.resolveDigest(reference)
                chosen.insert(digest)
                if entries.contains(where: { $0.digest == digest && $0.isLearngene }) {
                    chosen.formUnion(entries.filter { $0.lineage?.learngeneDigest == digest }.map(\.digest))
                }
            }
            entries = entries.filter { chosen.contains($0.digest) }
        }
        entries.sort {
            ($0.lineage?.learngene ?? $0.reference, $0.lineage == nil ? 0 : 1, $0.reference)
                < ($1.lineage?.learngene ?? $1.reference, $1.lineage == nil ? 0 : 1, $1.reference)
        }
        self.entries = entries
        learngenes = Dictionary(try store.list().map { ($0.digest, $0) }) { first, _ in first }
        verifications = try LastVerification.all(in: store)
        var files: [Digest: String] = [:]
        var taken: Set<String> = Set(StaticSite.fixedFiles)
        for entry in entries.sorted(by: { $0.reference < $1.reference }) where files[entry.digest] == nil {
            var name = Self.fileName(entry.reference)
            if taken.contains(name + ".html") { name += "-" + entry.digest.hex.prefix(12) }
            taken.insert(name + ".html")
            files[entry.digest] = name + ".html"
        }
        self.files = files
    }

    /// A tag as a file name: lower case letters, digits, `.`, `-` and `_` (the tag's `:` becomes `_`).
    static func fileName(_ reference: String) -> String {
        String(
            reference.lowercased().unicodeScalars.map { scalar in
                ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || ".-".unicodeScalars.contains(scalar)
                    ? Character(scalar) : "_"
            }
        ).replacingOccurrences(of: "..", with: "_.")
    }

    /// The page of `digest`, when the site holds one.
    func file(_ digest: Digest?) -> String? { digest.flatMap { files[$0] } }

    /// The tags of `digest` among the entries shown.
    func tags(_ digest: Digest) -> [String] { entries.filter { $0.digest == digest }.map(\.reference).sorted() }
}
