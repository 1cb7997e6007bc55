import Foundation
import LgregArchive
import LgregResolver

/// Writes the measured untuned accuracies into a learngene archive's manifest, for `verify` to re-measure.
public enum ResultDeclaration {
    /// Rewrites the archive at `archive` to `output` with `rows` as its declared untuned results of `strategy`
    /// (with `seed`, recorded for a strategy that draws one) on `evalSet`, replacing earlier ones for the same depth,
    /// strategy, order, seed and eval set; every tensor file is copied byte for byte.
    /// - Returns: the results declared.
    @discardableResult
    public static func write(
        _ rows: [EvalRow], strategy: Strategy, seed: UInt64 = 0, evalSet: String, archive: ExtractedLearngene,
        to output: URL
    ) throws -> [LearngeneManifest.DeclaredResult] {
        var manifest = archive.manifest
        let measured = rows.map { row in
            LearngeneManifest.DeclaredResult(
                depth: row.depth, strategy: strategy.name, order: strategy.orderDescription,
                seed: strategy.usesSeed ? Int(exactly: seed) : nil, tunedEpochs: 0,
                evalSet: evalSet, top1: Double(row.result.correct) / Double(row.result.images),
                loss: row.result.meanLoss)
        }
        manifest.results.removeAll { old in
            measured.contains {
                $0.depth == old.depth && $0.strategy == old.strategy && $0.order == old.order
                    && ($0.seed ?? 0) == (old.seed ?? 0)
                    && $0.evalSet == old.evalSet && old.tunedEpochs == 0
            }
        }
        manifest.results += measured
        try manifest.validate(path: output.path)
        let files = Dictionary(uniqueKeysWithValues: archive.files.map { ($0.record.file, $0) })
        try LearngeneArchive.write(manifestBytes: try manifest.encoded(), manifest: manifest, to: output) { record in
            Data(files[record.file]!.tensors.fileBytes)
        }
        return measured
    }
}
