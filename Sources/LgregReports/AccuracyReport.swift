import Foundation
import LgregArchitecture
import LgregVocabulary

/// Top-1 of every strategy at every depth, untuned and tuned, beside the parameters each approach stores: the
/// learngene once for every depth, against pre-training and keeping every Des-Net (the paper's PF, whose
/// P-S column `SavingsReport` computes). Built from plain observations, so the report knows nothing of the store
/// (`Schemas/accuracy-report.schema.json`).
public struct AccuracyReport: Codable, Equatable, Sendable {
    /// Version of this report's JSON form.
    public static let currentVersion = 1

    /// Where Des-Nets come from: a learngene, or nothing (a Des-Net trained from scratch, of `architecture`).
    public struct Source: Codable, Equatable, Sendable {
        /// The learngene's tag (or the scratch entry's name), as the report names it.
        public var reference: String
        /// `sws`, `tleg`, `plain`, or `scratch`.
        public var kind: String
        public var architecture: ViTArchitecture
        /// The learngene's stage schedule (nil from scratch).
        public var schedule: StageSchedule?
        /// Parameters the learngene stores (nil from scratch, which stores nothing to initialize from).
        public var storedParameters: Int?

        public init(
            reference: String, kind: String, architecture: ViTArchitecture, schedule: StageSchedule?,
            storedParameters: Int?
        ) {
            self.reference = reference
            self.kind = kind
            self.architecture = architecture
            self.schedule = schedule
            self.storedParameters = storedParameters
        }
    }

    /// One measured top-1: a learngene's declared result, or a tuned Des-Net's recorded one.
    public struct Observation: Codable, Equatable, Sendable {
        /// The `Source.reference` it belongs to.
        public var source: String
        /// `cyclic`, `random`, `simple-lg`, `tleg`, `imwlm`, `vanilla-lg`, `explicit`, `aux-net` or `scratch`.
        public var strategy: String
        public var order: String?
        /// Seed of a random-assigned map (nil when none is recorded).
        public var seed: UInt64?
        public var depth: Int
        /// 0 untuned.
        public var tunedEpochs: Int
        /// Top-1 in [0, 1].
        public var top1: Double
        /// The tuned Des-Net's tag, for a tuned observation.
        public var tag: String?

        public init(
            source: String, strategy: String, order: String?, seed: UInt64?, depth: Int, tunedEpochs: Int, top1: Double,
            tag: String? = nil
        ) {
            self.source = source
            self.strategy = strategy
            self.order = order
            self.seed = seed
            self.depth = depth
            self.tunedEpochs = tunedEpochs
            self.top1 = top1
            self.tag = tag
        }
    }

    /// Several top-1 figures of one strategy and depth (one per seed): mean, minimum, maximum and sample
    /// standard deviation (0 for one figure), all fractions in [0, 1].
    public struct Statistic: Codable, Equatable, Sendable {
        public var mean: Double
        public var min: Double
        public var max: Double
        public var std: Double
        /// Figures summarized.
        public var count: Int

        public init(_ values: [Double]) {
            count = values.count
            mean = values.reduce(0, +) / Double(Swift.max(values.count, 1))
            min = values.min() ?? 0
            max = values.max() ?? 0
            let m = mean
            std =
                values.count > 1
                ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        }
    }

    /// A line of the plots: one strategy (one order) of one source; from scratch, one number of epochs.
    public struct Series: Codable, Equatable, Sendable {
        /// Stable key: `source|strategy|order|epochs`.
        public var key: String
        /// The name the table and legend print (`SWS front-mid-last`, `Simple-LG`, `Scratch 10 ep`).
        public var label: String
        public var source: String
        public var strategy: String
        public var order: String?
    }

    /// One strategy at one depth.
    public struct Row: Codable, Equatable, Sendable {
        /// `Series.key`.
        public var series: String
        public var depth: Int
        /// The paper's name for the Des-Net: `Des-6`.
        public var desNet: String
        /// Untuned top-1 (declared results), nil when none.
        public var untuned: Statistic?
        /// Top-1 after `tunedEpochs` epochs (tuned Des-Nets), nil when none.
        public var tuned: Statistic?
        public var tunedEpochs: Int?
        /// Parameters stored to make this Des-Net: the learngene (once, for every depth) for a learngene
        /// strategy; the Des-Net itself from scratch (what PF keeps for every depth).
        public var storedParameters: Int
        /// Parameters of the Des-Net itself (the paper's P-S).
        public var desNetParameters: Int
    }

    /// Storage: each learngene once against keeping one model per depth (PF).
    public struct Storage: Codable, Equatable, Sendable {
        /// One learngene against PF over the same depths.
        public struct Learngene: Codable, Equatable, Sendable {
            public var reference: String
            public var storedParameters: Int
            /// PF's parameters for the depths the report covers (`SavingsReport.totalParameters`).
            public var pfParameters: Int
            /// pfParameters / storedParameters.
            public var ratio: Double
        }

        /// Depths the report covers.
        public var depths: [Int]
        public var learngenes: [Learngene]
    }

    public var schemaVersion = Self.currentVersion
    /// The evaluation set every figure was measured on.
    public var evalSet: String
    /// How `Statistic` spreads are printed in the table: `min-max` (the JSON also carries `std`).
    public var spread = "min-max"
    public var sources: [Source]
    public var series: [Series]
    public var rows: [Row]
    public var storage: Storage

    /// Groups `observations` into series and rows. Observations of one series, depth and tuning (one per seed)
    /// are summarized by a `Statistic`; a series with several tuned epoch counts gets a row per count.
    public init(sources: [Source], observations: [Observation], evalSet: String) {
        self.sources = sources
        self.evalSet = evalSet
        let byReference = Dictionary(sources.map { ($0.reference, $0) }) { first, _ in first }
        func seriesKey(_ o: Observation) -> String {
            [
                o.source, o.strategy, o.order ?? "",
                StrategyName(recorded: o.strategy) == .scratch ? String(o.tunedEpochs) : "",
            ].joined(separator: "|")
        }
        var seen: [String: Series] = [:]
        var ordered: [String] = []
        for o in observations where seen[seriesKey(o)] == nil {
            let key = seriesKey(o)
            seen[key] = Series(
                key: key,
                label: Self.label(
                    strategy: o.strategy, order: o.order, epochs: o.tunedEpochs, sourceKind: byReference[o.source]?.kind
                ),
                source: o.source,
                strategy: o.strategy, order: o.order)
            ordered.append(key)
        }
        // Labels that two sources share name their source.
        let labels = Dictionary(grouping: ordered, by: { seen[$0]!.label })
        for (_, keys) in labels where keys.count > 1 {
            for key in keys { seen[key]!.label += " · \(seen[key]!.source)" }
        }
        ordered.sort {
            (Self.rank(seen[$0]!.strategy), seen[$0]!.label) < (Self.rank(seen[$1]!.strategy), seen[$1]!.label)
        }
        series = ordered.map { seen[$0]! }

        var rows: [Row] = []
        for key in ordered {
            let mine = observations.filter { seriesKey($0) == key }
            let source = byReference[seen[key]!.source]
            for depth in Set(mine.map(\.depth)).sorted() {
                let atDepth = mine.filter { $0.depth == depth }
                let untuned = atDepth.filter { $0.tunedEpochs == 0 }.map(\.top1)
                let epochCounts = Set(atDepth.filter { $0.tunedEpochs > 0 }.map(\.tunedEpochs)).sorted()
                let desNetParameters = source?.architecture.parameterCount(depth: depth) ?? 0
                let stored = source?.storedParameters ?? desNetParameters
                for epochs in epochCounts.isEmpty ? [nil] : epochCounts.map(Optional.some) {
                    let tuned = epochs.map { e in atDepth.filter { $0.tunedEpochs == e }.map(\.top1) } ?? []
                    rows.append(
                        Row(
                            series: key, depth: depth, desNet: Self.desNetName(depth),
                            untuned: untuned.isEmpty ? nil : Statistic(untuned),
                            tuned: tuned.isEmpty ? nil : Statistic(tuned), tunedEpochs: epochs,
                            storedParameters: stored,
                            desNetParameters: desNetParameters))
                }
            }
        }
        self.rows = rows
        // PF is set against the Des-Nets, not against a trained network's own row.
        let depths = Set(rows.filter { seen[$0.series]?.strategy != MeasuredNetwork.trainedNetworkName }.map(\.depth))
            .sorted()
        storage = Storage(
            depths: depths,
            learngenes: sources.compactMap { source in
                guard let stored = source.storedParameters, let schedule = source.schedule, !depths.isEmpty else {
                    return nil
                }
                let pf = SavingsReport(
                    subject: source.reference, architecture: source.architecture, schedule: schedule, depths: depths
                ).totalParameters
                return .init(
                    reference: source.reference, storedParameters: stored, pfParameters: pf,
                    ratio: Double(pf) / Double(max(stored, 1)))
            })
    }

    /// The paper's name for a Des-Net of `depth` layers: `Des-6`.
    public static func desNetName(_ depth: Int) -> String { "Des-\(depth)" }

    /// The paper's name for a strategy: `SWS front-mid-last`, `SWS random`, `Simple-LG`, `TLEG`, `IMwLM`,
    /// `Vanilla-LG`, `Aux-Net` (the trained network itself; `Plain ViT` when it is a plain model, not an
    /// auxiliary network with shared stages), `Scratch 10 ep`.
    static func label(strategy: String, order: String?, epochs: Int, sourceKind: String? = nil) -> String {
        if strategy == MeasuredNetwork.trainedNetworkName { return sourceKind == "plain" ? "Plain ViT" : "Aux-Net" }
        switch StrategyName(recorded: strategy) {
        case .cyclic: return "SWS \(order ?? StrategyName.defaultOrder)"
        case .random: return "SWS random"
        case .simpleLG: return "Simple-LG" + (order.map { $0 == StrategyName.defaultOrder ? "" : " \($0)" } ?? "")
        case .tleg: return "TLEG"
        case .imwlm: return "IMwLM"
        case .vanillaLG: return "Vanilla-LG"
        case .scratch: return "Scratch \(epochs) ep"
        case .explicit, nil: return strategy
        }
    }

    /// Table and legend order: the trained network, SWS, then the baselines as the paper lists them, scratch last
    /// (a strategy lgreg does not know after explicit maps).
    private static func rank(_ strategy: String) -> Int {
        if strategy == MeasuredNetwork.trainedNetworkName { return 0 }
        let order: [StrategyName] = [.cyclic, .random, .explicit, .simpleLG, .tleg, .imwlm, .vanillaLG, .scratch]
        return StrategyName(recorded: strategy).flatMap { order.firstIndex(of: $0) }.map { $0 + 1 } ?? 3
    }

    /// The series a row belongs to.
    public func series(of row: Row) -> Series? { series.first { $0.key == row.series } }

    /// One line per strategy and depth: untuned and tuned top-1 in percent (mean, and the min–max spread over
    /// seeds), the seeds summarized, and the parameters stored; storage against PF in the footer.
    public var table: ReportTable {
        // Two decimals, so the small models of a Fashion-MNIST zoo do not all print as 0.1.
        func millions(_ count: Int) -> ReportTable.Cell {
            .int(count, shown: String(format: "%.2f", Double(count) / 1e6))
        }
        func percent(_ value: Double?) -> ReportTable.Cell {
            value.map { .double(100 * $0, shown: String(format: "%.2f", 100 * $0)) } ?? .empty
        }
        // The range is shown where there is one: over two or more seeds.
        func spread(_ s: Statistic?, _ end: KeyPath<Statistic, Double>) -> ReportTable.Cell {
            s.flatMap { $0.count > 1 ? percent($0[keyPath: end]) : nil } ?? .empty
        }
        let rowsShown: [[ReportTable.Cell]] = rows.map { row in
            let line = series(of: row)
            let seeds = max(row.untuned?.count ?? 0, row.tuned?.count ?? 0)
            return [
                .text(row.desNet), .int(row.depth, shown: String(row.depth)), .text(line?.label ?? row.series),
                .text(line?.source ?? ""),
                percent(row.untuned?.mean), spread(row.untuned, \.min), spread(row.untuned, \.max),
                percent(row.tuned?.mean), spread(row.tuned, \.min), spread(row.tuned, \.max),
                row.tunedEpochs.map { .int($0, shown: String($0)) } ?? .empty, .int(seeds, shown: String(seeds)),
                millions(row.storedParameters), millions(row.desNetParameters),
            ]
        }
        var footer = [
            "Top-1 in percent on \(evalSet); a strategy measured over several seeds shows their mean and range (min–max); --json adds the sample standard deviation.",
            "Stored (M): what the approach keeps to make the Des-Net: the learngene, once for every depth; from scratch, the Des-Net itself (as PF keeps every one). P-S (M): the Des-Net's own parameters.",
        ]
        for learngene in storage.learngenes {
            footer.append(
                "\(learngene.reference) stores \(String(format: "%.2f", Double(learngene.storedParameters) / 1e6)) M once; PF keeps one model per depth "
                    + "(\(storage.depths.map(Self.desNetName).joined(separator: ", "))): \(String(format: "%.2f", Double(learngene.pfParameters) / 1e6)) M, "
                    + "\(String(format: "%.1f", learngene.ratio))× more.")
        }
        return ReportTable(
            columns: [
                .init("desNet", "Des-Net"), .init("depth", "Depth"), .init("strategy", "Strategy"),
                .init("source", "Learngene"),
                .init("untunedTop1", "Untuned %"), .init("untunedMin", "min"), .init("untunedMax", "max"),
                .init("tunedTop1", "Tuned %"), .init("tunedMin", "min"), .init("tunedMax", "max"),
                .init("tunedEpochs", "Epochs"), .init("seeds", "Seeds"), .init("storedParameters", "Stored (M)"),
                .init("desNetParameters", "P-S (M)"),
            ], rows: rowsShown, footer: footer)
    }
}
