import Foundation
import LgregCore
import LgregStore
import LgregVocabulary

extension Verifier {
    /// `artifactType` of a recorded verification report (`lgreg verify REF --record`,
    /// `Schemas/oci-verification-manifest.schema.json`).
    public static let recordArtifactType = EntryKind.verification.artifactType
    /// Media type of its one layer: the report JSON (`Schemas/verify-report.schema.json`).
    public static let reportMediaType = "application/vnd.lgreg.verification.report.v1+json"

    /// Records `report` (the JSON `verify --json` prints) about `learngene` in the store as a derived artifact:
    /// the report as its layer, the OCI empty config, the learngene as subject and base, under the tag
    /// `<name>-verification:<version>`, which a later record replaces.
    /// - Returns: the tag and the recorded manifest's digest.
    @discardableResult
    public static func record(report: Data, of learngene: StoredLearngene, in store: LearngeneStore) throws -> (
        reference: String, digest: Digest
    ) {
        let reference = "\(learngene.manifest.name)-verification:\(learngene.manifest.version)"
        let digest = try store.writeTrained(
            TrainedArtifact(
                reference: reference, artifactType: recordArtifactType, config: Data("{}".utf8),
                configMediaType: OCIMediaType.empty,
                weights: [.init(title: "verification.json", bytes: report, mediaType: reportMediaType, role: "report")],
                base: learngene.digest,
                annotations: [OCIAnnotation.title: "Verification of \(learngene.manifest.reference)"]))
        return (reference, digest)
    }
}
