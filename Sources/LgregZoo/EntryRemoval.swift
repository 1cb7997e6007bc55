import LgregCore
import LgregStore

/// `lgreg rm`: removes tags without orphaning what derives from them unless asked.
public enum EntryRemoval {
    /// What to do with entries derived from a learngene (or Des-Net) that loses its last tag.
    public enum DerivedPolicy: Sendable {
        /// Refuse, naming them.
        case refuse
        /// Remove their tags too.
        case remove
        /// Leave them, orphaned: they keep working while the untagged learngene's blobs are kept (`gc` keeps
        /// what a tagged entry derives from).
        case orphan
    }

    /// What was removed and what was left orphaned.
    public struct Result: Sendable {
        /// Tags removed, sorted.
        public var removed: [String]
        /// Tags of derived entries whose learngene (or parent) is no longer tagged.
        public var orphaned: [String]
    }

    /// Removes the tags `reference` names (see `LearngeneStore.tags(matching:)`); a manifest that loses its last
    /// tag while tagged entries derive from it is handled as `policy` says.
    /// - Throws: `ZooError.derivedEntriesExist` under `.refuse`, before anything is removed; store errors.
    public static func remove(_ reference: String, in store: LearngeneStore, policy: DerivedPolicy) throws -> Result {
        let tags = Set(try store.tags(matching: reference))
        let entries = try ZooEntry.all(in: store)
        let kept = entries.filter { !tags.contains($0.reference) }
        let untagged = Set(entries.filter { tags.contains($0.reference) }.map(\.digest)).subtracting(kept.map(\.digest))
        let derived = kept.filter { entry in
            guard let lineage = entry.lineage else { return false }
            return untagged.contains(lineage.learngeneDigest) || !untagged.isDisjoint(with: lineage.via)
        }.map(\.reference)
        switch policy {
        case .refuse where !derived.isEmpty: throw ZooError.derivedEntriesExist(reference: reference, derived: derived)
        case .remove: return Result(removed: try store.remove(tags: Array(tags) + derived), orphaned: [])
        default: return Result(removed: try store.remove(tags: Array(tags)), orphaned: derived)
        }
    }
}
