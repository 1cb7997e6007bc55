/// What the application layer refuses, one case per failure, each carrying the values that explain it.
public enum ZooError: Error, Equatable, CustomStringConvertible {
    /// No learngene was named, none is current, and the store does not hold exactly one.
    case noLearngeneChosen(candidates: [String])
    /// The current learngene (`lgreg use`) is no longer in the store.
    case currentLearngeneGone(reference: String)
    /// `verify` was asked to check everything in a store that holds nothing.
    case nothingToVerify
    /// A declared result cannot be rebuilt: its strategy or order is not one lgreg knows.
    case unknownDeclaredStrategy(strategy: String, order: String?, reason: String)
    /// A tuned Des-Net's config blob cannot be read: not JSON, an unknown schema version, a missing field.
    case invalidTunedConfig(file: String, reason: String)

    public var description: String {
        switch self {
        case let .noLearngeneChosen(candidates) where candidates.isEmpty:
            return "no learngene given, and the store holds none: publish one (lgreg publish FILE.lgz) or name an archive"
        case let .noLearngeneChosen(candidates):
            return "no learngene given and none is current; the store holds \(candidates.count): \(candidates.joined(separator: ", ")). "
                + "Name one, or choose one for the commands that follow: lgreg use \(candidates[0])"
        case let .currentLearngeneGone(reference):
            return "the current learngene '\(reference)' is no longer in the store: choose another with lgreg use REF (lgreg list shows them)"
        case .nothingToVerify:
            return "nothing to verify: the store holds no learngene"
        case let .unknownDeclaredStrategy(strategy, order, reason):
            return "declared strategy '\(strategy)'\(order.map { " order '\($0)'" } ?? "") is not understood: \(reason)"
        case let .invalidTunedConfig(file, reason):
            return "\(file): not a tuned Des-Net config lgreg can read: \(reason)"
        }
    }
}
