import Foundation
import LgregCore
import LgregRuntime
import LgregStore
import LgregVocabulary

extension Verifier {
    /// Verifies a tuned Des-Net: its manifest, config and weight blobs re-hashed; its config read; its lineage's
    /// learngene present in the store as a learngene manifest; and its recorded top-1 re-measured from the stored
    /// weights (evaluation only) within the tolerance.
    func verifyTuned(_ entry: DerivedEntry, dataSets: inout [String: ImageDataSet]) -> Verdict {
        var checks = [blobCheck(digest: entry.digest, image: entry.image)]
        var config: TunedDesNet.Config?
        do {
            config = try TunedDesNet.Config.decode(
                entry.config, file: store.layout.blob(entry.image.config.digest).path)
            checks.append(
                Check(
                    check: "config", status: .ok,
                    detail: "tuned Des-Net config, schema version \(TunedDesNet.Config.currentVersion)"))
        } catch {
            checks.append(Check(check: "config", status: .mismatch, detail: "\(error)"))
        }
        if let config {
            let base = entry.image.annotations?[OCIAnnotation.baseDigest].flatMap { Digest($0) }
            checks.append(lineageCheck(config.lineage, base: base))
            if checks.allSatisfy({ $0.status == .ok }) {
                checks.append(tunedResultCheck(TunedDesNet.Stored(entry: entry, config: config), dataSets: &dataSets))
            }
        }
        let status = checks.map(\.status).max() ?? .ok
        LastVerification.record(entry.digest, checks: checks, in: store)
        return Verdict(reference: entry.reference, digest: entry.digest.description, status: status, checks: checks)
    }

    /// A learngene-initialized Des-Net names, in its config and as its manifest's base, the same learngene, whose
    /// manifest must be in the store; one trained from scratch names none and has no base.
    private func lineageCheck(_ lineage: TunedDesNet.Lineage, base: Digest?) -> Check {
        func fail(_ detail: String) -> Check { Check(check: "learngene", status: .mismatch, detail: detail) }
        switch lineage.initialization {
        case .scratch:
            guard base == nil, lineage.desNet == nil else {
                return fail("a Des-Net trained from scratch names a learngene")
            }
            return Check(check: "learngene", status: .ok, detail: "none: trained from scratch")
        case .learngene:
            guard let named = lineage.desNet?.learngeneDigest, let base, named == base.description else {
                return fail(
                    "the config names learngene \(lineage.desNet?.learngeneDigest ?? "none"), the manifest's base is \(base?.description ?? "none")"
                )
            }
            guard let image = store.storedImageManifest(base) else {
                return fail(
                    "learngene \(base.short)\(lineage.learngeneReference.map { " (\($0))" } ?? "") is no longer in the store"
                )
            }
            guard image.artifactType == OCIMediaType.learngene else {
                return fail("\(base.short) is a \(image.artifactType ?? "manifest"), not a learngene")
            }
            let tagged = (try? store.resolveDigest(base.description)) != nil
            return Check(
                check: "learngene", status: .ok,
                detail: "\(lineage.learngeneReference ?? base.short) (\(base.short)) is present"
                    + (tagged ? "" : "; orphaned: the learngene is kept but no longer tagged"))
        }
    }

    /// The recorded top-1 against a fresh measurement of the stored weights on the whole eval set.
    private func tunedResultCheck(_ tuned: TunedDesNet.Stored, dataSets: inout [String: ImageDataSet]) -> Check {
        let config = tuned.config
        let recorded = config.result
        var check = Check(
            check: "result", status: .ok,
            detail:
                "depth \(config.depth) \(config.lineage.strategy) tuned \(TrainingRecipe.span(config.recipe, external: config.externalRecipe)) on \(recorded.evalSet)",
            depth: config.depth, declaredTop1: recorded.top1)
        if let reason = settings.skipReason(depth: config.depth) {
            check.status = .skipped
            check.detail += ": \(reason)"
            return check
        }
        do {
            if dataSets[recorded.evalSet] == nil {
                dataSets[recorded.evalSet] = try DataSpec(parsing: recorded.evalSet).load(
                    directory: settings.dataDirectory)
            }
        } catch {
            check.status = .cannotVerify
            check.detail += ": \(error)"
            return check
        }
        do {
            let measured = try TunedDesNet.measure(
                try tuned.weights(in: store), architecture: config.architecture, on: dataSets[recorded.evalSet]!,
                settings: settings.evaluation, label: "verify \(tuned.entry.tags.first ?? tuned.entry.digest.short)")
            check.measuredTop1 = measured.top1.fraction
            let agrees =
                measured.top1.agrees(with: recorded.accuracy, withinPoints: settings.tolerance)
                && measured.images == recorded.images
            check.status = agrees ? .ok : .mismatch
            check.detail +=
                ": recorded \(recorded.accuracy) (\(recorded.images) images), measured \(measured.top1) (\(measured.correct)/\(measured.images))"
        } catch {
            check.status = .mismatch
            check.detail += ": \(error)"
        }
        return check
    }
}
