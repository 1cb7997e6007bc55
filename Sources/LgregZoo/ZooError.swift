/// What the application layer refuses, one case per failure, each carrying the values that explain it.
public enum ZooError: Error, Equatable, CustomStringConvertible {
    /// No learngene was named, none is current, and the store does not hold exactly one.
    case noLearngeneChosen(candidates: [String])
    /// The current learngene (`lgreg use`) is no longer in the store.
    case currentLearngeneGone(reference: String)
    /// `verify` was asked to check everything in a store that holds nothing.
    case nothingToVerify
    /// The entry is derived but not a Des-Net (a tuned Des-Net, a later kind) where a Des-Net is needed.
    case notADesNet(reference: String, kind: String)
    /// A Des-Net's learngene manifest is no longer in the store (removed, then garbage-collected).
    case desNetLearngeneMissing(reference: String, learngene: String)
    /// A Des-Net planned again from its recorded lineage gives another layer map than it records.
    case desNetDoesNotReplan(reference: String, recorded: String, planned: String)
    /// `rm` of a learngene that derived entries come from, without `--with-derived` or `--force`.
    case derivedEntriesExist(reference: String, derived: [String])
    /// A declared result cannot be rebuilt: its strategy or order is not one lgreg knows.
    case unknownDeclaredStrategy(strategy: String, order: String?, reason: String)
    /// A tuned Des-Net's config blob cannot be read: not JSON, an unknown schema version, a missing field.
    case invalidTunedConfig(file: String, reason: String)
    /// An architecture name (`--arch`) that is neither a preset nor an existing file.
    case unknownArchitecture(name: String, presets: [String])
    /// A run asked to resume from a work folder that holds no checkpoint.
    case noCheckpoint(path: String)
    /// A model file to fine-tune holds no `blocks.i.*` tensors.
    case noBlocks(file: String)
    /// Weights to record do not fit the Des-Net they started from: a tensor missing, extra, or of another shape
    /// or dtype.
    case weightsDoNotFitBase(file: String, base: String, tensor: String, problem: String)
    /// The top-1 a caller gave for weights to record is not what lgreg measures on the same images.
    case claimedTop1Differs(file: String, claimed: Double, measured: Double, evalSet: String, tolerance: Double)
    /// A base to record tuned weights against is not a Des-Net or a learngene with a depth.
    case notABase(reference: String, reason: String)

    public var description: String {
        switch self {
        case .noLearngeneChosen(let candidates) where candidates.isEmpty:
            return
                "no learngene given, and the store holds none: publish one (lgreg publish FILE.lgz) or name an archive"
        case .noLearngeneChosen(let candidates):
            return
                "no learngene given and none is current; the store holds \(candidates.count): \(candidates.joined(separator: ", ")). "
                + "Name one, or choose one for the commands that follow: lgreg use \(candidates[0])"
        case .currentLearngeneGone(let reference):
            return
                "the current learngene '\(reference)' is no longer in the store: choose another with lgreg use REF (lgreg list shows them)"
        case .nothingToVerify:
            return "nothing to verify: the store holds no learngene"
        case .notADesNet(let reference, let kind):
            return "'\(reference)' is a \(kind) entry, not a Des-Net; this command takes a learngene or a Des-Net"
        case .desNetLearngeneMissing(let reference, let learngene):
            return
                "Des-Net '\(reference)': its learngene \(learngene) is no longer in the store; publish that learngene again to restore it"
        case .desNetDoesNotReplan(let reference, let recorded, let planned):
            return
                "Des-Net '\(reference)' records layer map \(recorded), but its lineage plans \(planned) from its learngene"
        case .derivedEntriesExist(let reference, let derived):
            return
                "'\(reference)' has \(derived.count) derived entr\(derived.count == 1 ? "y" : "ies"): \(derived.prefix(20).joined(separator: ", "))"
                + "\(derived.count > 20 ? ", …" : ""); remove them too with --with-derived, or leave them orphaned with --force"
        case .unknownDeclaredStrategy(let strategy, let order, let reason):
            return "declared strategy '\(strategy)'\(order.map { " order '\($0)'" } ?? "") is not understood: \(reason)"
        case .invalidTunedConfig(let file, let reason):
            return "\(file): not a tuned Des-Net config lgreg can read: \(reason)"
        case .unknownArchitecture(let name, let presets):
            return "'\(name)' is neither a preset (\(presets.joined(separator: ", "))) nor an existing file"
        case .noCheckpoint(let path):
            return "no checkpoint at \(path) to resume from"
        case .noBlocks(let file):
            return "\(file) holds no blocks.i.* tensors; it is not a ViT"
        case .weightsDoNotFitBase(let file, let base, let tensor, let problem):
            return "\(file): tensor '\(tensor)' \(problem) (base \(base)); nothing was recorded"
        case .claimedTop1Differs(let file, let claimed, let measured, let evalSet, let tolerance):
            return String(
                format:
                    "%@: the given top-1 %.4f differs from lgreg's %.4f on %@ by more than %.4f; nothing was recorded",
                file, claimed, measured, evalSet, tolerance)
        case .notABase(let reference, let reason):
            return "'\(reference)' cannot be a base to record tuned weights against: \(reason)"
        }
    }
}
