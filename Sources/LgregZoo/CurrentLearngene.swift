import LgregStore

/// The learngene commands use when none is named, the way `kubectl config use-context` or a git branch
/// works: `lgreg use REF` records it in the store's configuration (`StoreConfiguration.currentLearngene`).
public enum CurrentLearngene {
    /// Why a learngene was chosen without being named.
    public enum Choice: Equatable, Sendable, CustomStringConvertible {
        /// `lgreg use` set it.
        case current
        /// The store holds no other.
        case onlyOne

        public var description: String {
            switch self {
            case .current: return "the current learngene (lgreg use)"
            case .onlyOne: return "the only learngene in the store"
            }
        }
    }

    /// The reference recorded by `lgreg use`, if any (not checked against the store).
    public static func get(in store: LearngeneStore) throws -> String? { try store.configuration().currentLearngene }

    /// Records `reference` as current after checking it names a learngene; nil clears it.
    /// - Returns: the learngene it names now.
    @discardableResult
    public static func set(_ reference: String?, in store: LearngeneStore) throws -> StoredLearngene? {
        let learngene = try reference.map { try store.resolve($0) }
        try store.updateConfiguration { $0.currentLearngene = reference }
        return learngene
    }

    /// Whether the listed tag `row` is the current learngene: the tag `lgreg use` named, the version a bare name
    /// resolves to now, or every tag of the digest a digest prefix names.
    public static func marks(_ row: LearngeneSummary, in store: LearngeneStore) throws -> Bool {
        guard let current = try get(in: store), let digest = try? store.resolveDigest(current), row.digest == digest
        else { return false }
        if current.contains(":"), !current.hasPrefix("sha256:") { return row.reference == current }  // a tag
        // a name: its latest version
        if try store.list().contains(where: { $0.name == current }) { return row.name == current }
        return true  // a digest prefix: every tag
    }

    /// The learngene to use when none is named: the current one; else the only learngene the store holds.
    /// - Throws: `ZooError.currentLearngeneGone` when the current one was removed (never a silent fallback),
    ///   `ZooError.noLearngeneChosen` listing the candidates otherwise.
    public static func choose(in store: LearngeneStore) throws -> (reference: String, choice: Choice) {
        if let current = try get(in: store) {
            do { _ = try store.resolve(current) } catch StoreError.notFound(_) {
                throw ZooError.currentLearngeneGone(reference: current)
            }
            return (current, .current)
        }
        let tags = try store.list().map(\.reference)
        if tags.count == 1 { return (tags[0], .onlyOne) }
        throw ZooError.noLearngeneChosen(candidates: tags)
    }
}
