import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregResolver
import LgregStore
import LgregZoo

extension Strategy.Name: ExpressibleByArgument {}

extension HeadPolicy: ExpressibleByArgument {}

/// A learngene named on the command line: a store reference (`name`, `name:version`, digest prefix) or the
/// path of a `.lgz` archive; without one, the store's current learngene (`lgreg use`).
struct LearngeneArgument: ParsableArguments {
    @Argument(
        help:
            "A stored learngene (name, name:version or digest prefix) or the path of a .lgz archive (default: the current learngene, see `lgreg use`)."
    )
    var reference: String?
    @OptionGroup var store: StoreOptions

    init() {}

    /// A learngene named in code rather than on the command line.
    init(reference: String?, store: StoreOptions) {
        self.reference = reference
        self.store = store
    }

    /// Whether the argument is an archive path rather than a store reference.
    var isArchive: Bool { reference.map(OpenedLearngene.isArchivePath) ?? false }

    /// Opens the learngene, saying on stderr which one was used when none was named; a store is opened as
    /// `mode` says (`.write` for a command that records what it derives).
    func open(_ mode: LearngeneStore.OpenMode = .read) throws -> OpenedLearngene {
        let opened = try OpenedLearngene.open(reference, store: { try store.open(mode) })
        if let note = opened.choiceNote { FileHandle.standardError.write(Data("\(note)\n".utf8)) }
        return opened
    }
}

/// How the Des-Net's layers are chosen: strategy, order, map, seed; shared by `plan` and `materialize`.
struct StrategyOptions: ParsableArguments {
    @Option(
        help:
            "cyclic (SWS, the default), random (random-assigned), explicit (with --layers-source), or a baseline: simple-lg, tleg, imwlm, vanilla-lg, scratch."
    )
    var strategy: Strategy.Name?
    @Option(
        help:
            "Stage order of cyclic and simple-lg: front-mid-last (default), front-last-mid, mid-front-last, mid-last-front, last-front-mid, last-mid-front, or a permutation such as 0,4,1,3,2."
    )
    var order: String?
    @Option(
        name: .customLong("layers-source"),
        help: "An explicit layer map, one learngene layer per Des-Net layer, e.g. 0,0,0,1,1,1,2,2,3,3,4,4.")
    var layersSource: String?
    @Option(help: "Seed of random-assigned maps and of every freshly initialized tensor.")
    var seed: UInt64 = 0
    @Option(name: .customLong("top-blocks"), help: "vanilla-lg: how many top blocks come from the trained model.")
    var topBlocks = 3
    @Flag(
        name: .customLong("allow-drop-stages"),
        help: "Allow depths below the learngene's layer count (whole stages are then left out).")
    var allowDropStages = false

    func validate() throws {
        let chosen = strategy ?? (layersSource == nil ? .cyclic : .explicit)
        if layersSource != nil, chosen != .explicit {
            throw ValidationError(
                "--layers-source gives an explicit map; it cannot be combined with --strategy \(chosen.rawValue).")
        }
        if chosen == .explicit, layersSource == nil {
            throw ValidationError("--strategy explicit needs --layers-source, e.g. 0,0,0,1,1,1,2,2,3,3,4,4.")
        }
        if order != nil, chosen != .cyclic, chosen != .simpleLG {
            throw ValidationError("--order applies to the cyclic and simple-lg strategies, not \(chosen.rawValue).")
        }
        if let order { _ = try parsed { try OrderSpec(parsing: order) } }
    }

    /// The strategy for a Des-Net of `depth` layers (the explicit map is checked against the depth later).
    func resolve() throws -> Strategy {
        let name = strategy ?? (layersSource == nil ? .cyclic : .explicit)
        var layers: [Int]?
        if let text = layersSource {
            let entries = text.split(separator: ",", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard !text.isEmpty, entries.allSatisfy({ $0 != nil }) else {
                throw ValidationError(ResolverError.unparsableLayerMap(text).description)
            }
            layers = entries.map { $0! }
        }
        return try parsed { try Strategy(name, order: order, layers: layers, topBlocks: topBlocks) }
    }

    /// The strategy with its seed and the other choices that shape a Des-Net.
    func recipe(pooling: Pooling? = nil) throws -> DesNetRecipe {
        DesNetRecipe(strategy: try resolve(), seed: seed, allowDropStages: allowDropStages, pooling: pooling)
    }

    /// The explicit map's length, when one is given (its default depth).
    var explicitDepth: Int? { layersSource.map { $0.split(separator: ",", omittingEmptySubsequences: false).count } }

    private func parsed<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ResolverError { throw ValidationError(error.description) }
    }
}

extension LearngeneArgument {
    /// The architecture and stage schedule of the SWS learngene `name` names (a store reference or a `.lgz`
    /// archive; nil: the current learngene), or nil when `name` is a preset or an architecture file (any existing
    /// file not ending in `.lgz`).
    /// - Throws: `ValidationError` for a learngene that is not SWS (the savings report compares stages).
    static func swsShape(_ name: String?, store: StoreOptions) throws -> (
        architecture: ViTArchitecture, schedule: StageSchedule, reference: String
    )? {
        if let name {
            if ViTArchitecture.presets.contains(where: { $0.name == name }) { return nil }
            var isDirectory: ObjCBool = false
            if !name.hasSuffix(".lgz"), FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                return nil
            }
        }
        let opened = try LearngeneArgument(reference: name, store: store).open()
        let manifest = opened.source.manifest
        guard manifest.kind == .sws else {
            throw ValidationError(
                "'\(opened.reference)' is a \(manifest.kind.rawValue) learngene; the savings report needs an SWS learngene and its stage schedule."
            )
        }
        return (manifest.architecture, manifest.schedule, opened.reference)
    }
}
