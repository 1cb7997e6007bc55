import Foundation
import LgregArchive
import LgregResolver

/// What a declared result was measured on, decoded once from the manifest's `strategy` and `order` strings:
/// the network the learngene was trained as, or a Des-Net expanded by a strategy.
public enum DeclaredStrategy: Equatable, Sendable {
    /// `aux-net`: the trained network itself (an SWS Aux-Net at its own depth, a plain model, a TLEG Aux-Net).
    case trainedNetwork
    /// A Des-Net initialized by `Strategy` (`sws` is read as `cyclic`).
    case desNet(Strategy)

    /// Decodes a declared result's strategy and order.
    /// - Throws: `ZooError.unknownDeclaredStrategy` for a name or order lgreg does not know, and for `explicit`
    ///   (a declared result does not record its map).
    public init(_ result: LearngeneManifest.DeclaredResult) throws {
        guard let network = result.network, network.strategy != .explicit else {
            throw ZooError.unknownDeclaredStrategy(
                strategy: result.strategy, order: result.order,
                reason: "known strategies: \(MeasuredNetwork.trainedNetworkName), \(StrategyName.oldCyclicName), "
                    + StrategyName.allCases.filter { $0 != .explicit }.map(\.rawValue).joined(separator: ", "))
        }
        guard let name = network.strategy else {
            self = .trainedNetwork
            return
        }
        do { self = .desNet(try Strategy(name, order: result.order)) } catch let error as ResolverError {
            throw ZooError.unknownDeclaredStrategy(
                strategy: result.strategy, order: result.order, reason: error.description)
        }
    }

    /// The strategy that rebuilds the network from `source`.
    public func strategy(for source: any LearngeneSource) -> Strategy {
        switch self {
        case .trainedNetwork: return .trainedNetwork(of: source)
        case .desNet(let strategy): return strategy
        }
    }
}
