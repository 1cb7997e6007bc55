import Foundation
import LgregArchitecture

/// What initializing a family of Des-Nets costs from one learngene, against pre-training and fine-tuning
/// (PF), which stores and pre-trains one full model per depth. Reproduces the paper's Table 2 storage
/// column (759.3 M against 37.0 M) and its pre-training comparisons (10×, 6.6×, 2.5×). The storage ratio is
/// exact counts divided (759,343,120 / 36,951,016 = 20.54999…, printed 20.5×); the paper's 20.5× divides its rounded figures and is
/// kept beside it as `paperStorageRatio`.
public struct SavingsReport: Codable, Equatable, Sendable {
    /// Version of this report's JSON form (`Schemas/savings-report.schema.json`).
    public static let currentVersion = 2

    /// One Des-Net depth.
    public struct Row: Codable, Equatable, Sendable {
        /// Number of blocks.
        public var depth: Int
        /// Parameters PF stores for this Des-Net (the whole model): the paper's P-S(M).
        public var parameters: Int
        /// Multiply-accumulates per image (fvcore convention).
        public var flops: Int
    }

    /// Epochs behind each side of the pre-training comparison; the defaults are the paper's.
    public struct Epochs: Codable, Equatable, Sendable {
        /// Epochs to pre-train one Des-Net from scratch (PF pre-trains every depth): 100.
        public var pretrain: Int = 100
        /// Epochs to train the Aux-Net that yields the learngene: 100 for Aux-B.
        public var learngene: Int = 100
        /// Epochs to fine-tune each Des-Net initialized from the learngene, counted in the total training
        /// cost: 5 in the paper's 6.6× figure.
        public var desNetTuning: Int = 5
        /// TLEG's epochs per Des-Net in the paper's 2.5× comparison (100 + N×40).
        public var tlegTuning: Int = 40
        /// SWS's epochs per Des-Net in that comparison (100 + N×10).
        public var swsTuningAgainstTLEG: Int = 10

        public init() {}
    }

    public var schemaVersion: Int = Self.currentVersion
    /// What the report is about (a preset name or a learngene reference).
    public var subject: String
    /// Layers per stage of the Aux-Net that produced the learngene.
    public var schedule: StageSchedule
    /// Parameters the learngene stores: M blocks plus the shared tensors.
    public var learngeneParameters: Int
    public var rows: [Row]
    /// Exact sum of every row's parameters.
    public var totalParameters: Int
    /// The paper's printed total: the sum of the rows as printed, in millions.
    public var totalParametersPrinted: Double
    /// The learngene in millions, one decimal.
    public var learngeneParametersPrinted: Double
    /// Storage ratio: exact total / exact learngene parameters (759,343,120 / 36,951,016 = 20.54999…), unrounded;
    /// printed with one decimal.
    public var storageRatio: Double
    /// The ratio as the paper computes it, from the printed figures: printed total / printed learngene (759.3 /
    /// 37.0 = 20.5), one decimal.
    public var paperStorageRatio: Double
    public var epochs: Epochs
    /// PF pre-trains each Des-Net, SWS trains one learngene: N·pretrain / learngene (10× for ten Des-Bs).
    public var pretrainingRatio: Double
    /// Training every Des-Net from scratch against one learngene plus tuning each:
    /// N·pretrain / (learngene + N·desNetTuning), truncated to one decimal as the paper prints it (6.6×).
    public var totalTrainingRatio: Double
    /// TLEG against SWS, both counting their learngene and per-Des-Net epochs (2.5×).
    public var tlegRatio: Double

    /// Builds the report for Des-Nets of `architecture` at `depths`, from a learngene trained with `schedule`.
    public init(
        subject: String, architecture: ViTArchitecture, schedule: StageSchedule, depths: [Int],
        epochs: Epochs = Epochs()
    ) {
        self.subject = subject
        self.schedule = schedule
        self.epochs = epochs
        rows = depths.map {
            Row(depth: $0, parameters: architecture.parameterCount(depth: $0), flops: architecture.flops(depth: $0))
        }
        learngeneParameters = architecture.parameterCount(depth: schedule.stageCount)
        totalParameters = rows.map(\.parameters).reduce(0, +)
        totalParametersPrinted = PaperRounding.sumOfPrinted(rows.map(\.parameters), unit: 1e6)
        learngeneParametersPrinted = PaperRounding.oneDecimal(learngeneParameters, unit: 1e6)
        storageRatio = Double(totalParameters) / Double(learngeneParameters)
        paperStorageRatio = PaperRounding.rounded(totalParametersPrinted / learngeneParametersPrinted, decimals: 1)
        let n = Double(depths.count)
        pretrainingRatio = n * Double(epochs.pretrain) / Double(epochs.learngene)
        let total = n * Double(epochs.pretrain) / (Double(epochs.learngene) + n * Double(epochs.desNetTuning))
        totalTrainingRatio = (total * 10).rounded(.down) / 10
        tlegRatio =
            (Double(epochs.learngene) + n * Double(epochs.tlegTuning))
            / (Double(epochs.learngene) + n * Double(epochs.swsTuningAgainstTLEG))
    }

    /// The per-depth table with totals and ratios in the footer.
    public var table: ReportTable {
        let one = { (value: Double) in String(format: "%.1f", value) }
        let ratio = one(storageRatio)
        let paperRatio = one(paperStorageRatio)
        let note =
            ratio == paperRatio
            ? "."
            : " (exact counts; the printed figures give \(one(totalParametersPrinted)) / \(one(learngeneParametersPrinted)) = \(paperRatio)×, as the paper divides)."
        let storage =
            "PF stores \(one(totalParametersPrinted)) M for \(rows.count) Des-Nets (exactly \(totalParameters.formatted())); "
            + "the learngene (schedule \(schedule)) stores \(one(learngeneParametersPrinted)) M (exactly \(learngeneParameters.formatted())): \(ratio)× less"
            + note
        return ReportTable(
            columns: [.init("depth", "Depth"), .init("parameters", "P-S (M)"), .init("flops", "FLOPs")],
            rows: rows.map { [.int($0.depth, shown: String($0.depth)), .millions($0.parameters), .flops($0.flops)] },
            footer: [
                storage,
                "Pre-training: \(rows.count)×\(epochs.pretrain) epochs for PF against 1×\(epochs.learngene) for the learngene: \(one(pretrainingRatio))×.",
                "Total training: \(rows.count)×\(epochs.pretrain) from scratch against \(epochs.learngene) + \(rows.count)×\(epochs.desNetTuning): \(one(totalTrainingRatio))×; "
                    + "TLEG \(epochs.learngene) + \(rows.count)×\(epochs.tlegTuning) against SWS \(epochs.learngene) + \(rows.count)×\(epochs.swsTuningAgainstTLEG): \(one(tlegRatio))×.",
                epochs == Epochs()
                    ? "Epochs: the paper's constants (\(epochs.pretrain) to pre-train a Des-Net, \(epochs.learngene) for the Aux-Net, "
                        + "\(epochs.desNetTuning) to tune), not what any stored model was trained for; --pretrain-epochs, "
                        + "--learngene-epochs and --tune-epochs set others."
                    : "Epochs: as given (\(epochs.pretrain) to pre-train a Des-Net, \(epochs.learngene) for the Aux-Net, "
                        + "\(epochs.desNetTuning) to tune); TLEG's 40 and SWS's 10 per Des-Net are the paper's.",
            ])
    }
}

extension Int {
    /// 759358480 → "759,358,480".
    func formatted() -> String {
        let digits = String(self)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}
