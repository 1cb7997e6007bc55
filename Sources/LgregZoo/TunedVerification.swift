import Foundation
import LgregCore
import LgregRuntime
import LgregStore

extension Verifier {
    /// Whether `reference` names a tuned Des-Net (rather than a learngene).
    func namesTunedDesNet(_ reference: String) -> Bool {
        guard let digest = try? store.resolveDigest(reference), let image = try? store.imageManifest(digest) else { return false }
        return image.artifactType == TunedDesNet.artifactType
    }

    /// Verifies a tuned Des-Net: its manifest, config and weight blobs re-hashed; its config read; its lineage's
    /// learngene present in the store as a learngene manifest; and its recorded top-1 re-measured from the stored
    /// weights (evaluation only) within the tolerance.
    func verifyTuned(_ reference: String, dataSets: inout [String: ImageDataSet]) throws -> Verdict {
        let artifact: StoredDerivedArtifact
        do { artifact = try store.resolveDerived(reference, artifactType: TunedDesNet.artifactType) } catch let error as StoreError {
            if case .notFound = error { throw error }
            return Verdict(reference: reference, digest: nil, status: .mismatch, checks: [Check(check: "manifest", status: .mismatch, detail: error.description)])
        }
        var checks = [blobCheck([(artifact.digest, nil)] + ([artifact.imageManifest.config] + artifact.imageManifest.layers).map { ($0.digest, $0.size) })]
        var config: TunedDesNet.Config?
        do {
            config = try TunedDesNet.Config.decode(artifact.config, file: store.layout.blob(artifact.imageManifest.config.digest).path)
            checks.append(Check(check: "manifest", status: .ok, detail: "tuned Des-Net config, schema version \(TunedDesNet.Config.currentVersion)"))
        } catch {
            checks.append(Check(check: "manifest", status: .mismatch, detail: "\(error)"))
        }
        if let config {
            checks.append(lineageCheck(config.lineage, base: artifact.base))
            if checks.allSatisfy({ $0.status == .ok }) {
                checks.append(tunedResultCheck(TunedDesNet.Stored(artifact: artifact, config: config), dataSets: &dataSets))
            }
        }
        let status = checks.map(\.status).max() ?? .ok
        let detail = checks.filter { $0.status != .ok }.map { "\($0.check): \($0.detail)" }.joined(separator: "; ")
        store.recordVerification(artifact.digest, ok: status <= .skipped, detail: "lgreg verify: " + (detail.isEmpty ? "all checks passed" : detail))
        return Verdict(reference: reference, digest: artifact.digest.description, status: status, checks: checks)
    }

    /// A learngene-initialized Des-Net names, in its config and as its manifest's base, the same learngene, whose
    /// manifest must be in the store; one trained from scratch names none and has no base.
    private func lineageCheck(_ lineage: TunedDesNet.Lineage, base: Digest?) -> Check {
        func fail(_ detail: String) -> Check { Check(check: "lineage", status: .mismatch, detail: detail) }
        switch lineage.initialization {
        case .scratch:
            guard base == nil, lineage.desNet == nil else { return fail("a Des-Net trained from scratch names a learngene") }
            return Check(check: "lineage", status: .ok, detail: "trained from scratch (no learngene)")
        case .learngene:
            guard let named = lineage.desNet?.learngeneDigest, let base, named == base.description else {
                return fail("the config names learngene \(lineage.desNet?.learngeneDigest ?? "none"), the manifest's base is \(base?.description ?? "none")")
            }
            do {
                let image = try store.imageManifest(base)
                guard image.artifactType == OCIMediaType.learngene else { return fail("\(base.short) is a \(image.artifactType ?? "manifest"), not a learngene") }
            } catch {
                return fail("learngene \(base.short)\(lineage.learngeneReference.map { " (\($0))" } ?? "") is not in the store: \(error)")
            }
            let tagged = (try? store.resolveDigest(base.description)) != nil
            return Check(check: "lineage", status: .ok, detail: "learngene \(lineage.learngeneReference ?? base.short) (\(base.short)) is present"
                         + (tagged ? "" : " but untagged (`lgreg tag \(base) NAME:VERSION` names it again)"))
        }
    }

    /// The recorded top-1 against a fresh measurement of the stored weights on the whole eval set.
    private func tunedResultCheck(_ tuned: TunedDesNet.Stored, dataSets: inout [String: ImageDataSet]) -> Check {
        let recorded = tuned.config.result
        var check = Check(check: "result", status: .ok, detail: "depth \(tuned.config.depth) \(tuned.config.lineage.strategy) tuned \(tuned.config.recipe.epochs) epochs on \(recorded.evalSet)",
                          depth: tuned.config.depth, declaredTop1: 100 * recorded.top1)
        do {
            if dataSets[recorded.evalSet] == nil { dataSets[recorded.evalSet] = try DataSpec(parsing: recorded.evalSet).load(directory: settings.dataDirectory) }
        } catch {
            check.status = .cannotVerify
            check.detail += ": \(error)"
            return check
        }
        do {
            let measured = try TunedDesNet.measure(try tuned.weights(), architecture: tuned.config.architecture, on: dataSets[recorded.evalSet]!,
                                                   settings: settings.evaluation, label: "verify \(tuned.artifact.tags.first ?? tuned.artifact.digest.short)")
            check.measuredTop1 = measured.top1
            let agrees = abs(measured.top1 - 100 * recorded.top1) <= settings.tolerance + 1e-9 && measured.images == recorded.images
            check.status = agrees ? .ok : .mismatch
            check.detail += String(format: ": recorded %.2f%% (%d images), measured %.2f%% (%d/%d)", 100 * recorded.top1, recorded.images, measured.top1,
                                   measured.correct, measured.images)
        } catch {
            check.status = .mismatch
            check.detail += ": \(error)"
        }
        return check
    }
}
