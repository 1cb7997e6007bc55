import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Test hook: with `LGREG_TEST_CRASH_AFTER=<point>` in the environment the process ends with `_exit(70)` right
/// after that step of a write, as a `kill -9` there would, so tests can check that a crash at any point leaves
/// the store, an export folder or a transfer consistent. Every point of every module is listed here.
///
/// ```swift
/// CrashPoint.staged.reached()                                            // in the writer
/// runLgreg(["publish", archive], environment: CrashPoint.staged.environment)  // in a test
/// ```
public enum CrashPoint: String, CaseIterable, Sendable {
    // `publish` (LgregStore), in the order of `publishSteps`.
    /// The archive is staged in `.lgreg/tmp`, nothing in `blobs/` yet.
    case staged
    /// The first layer blob is in place.
    case firstBlob = "first-blob"
    /// Every layer blob is in place.
    case blobs
    /// The config blob is in place.
    case config
    /// The manifest blob is in place, `index.json` not yet updated.
    case manifest
    /// `index.json` is updated, the database not yet.
    case index
    /// The database is updated.
    case database

    /// An export folder (LgregResolver's `TimmExport`, `AtomicDirectory`): `model.safetensors` is written in the
    /// fresh folder, `config.json` not yet; the fresh folder is filled, not yet swapped in; it is in place, the old
    /// one not yet removed.
    case exportModel = "export-model"
    case directoryFilled = "directory-filled"
    case directorySwapped = "directory-swapped"

    /// Registry transfers (LgregRemote): a blob is uploaded, the manifest not yet; a chunk of a blob is uploaded,
    /// more to come; half of a blob is downloaded; every blob is downloaded, the manifest not yet stored.
    case pushBlob = "push-blob"
    case pushChunk = "push-chunk"
    case pullHalfBlob = "pull-half-blob"
    case pullBlobs = "pull-blobs"

    /// The environment variable that names the point to end at.
    public static let environmentVariable = "LGREG_TEST_CRASH_AFTER"
    /// The exit status of a process ended at a crash point.
    public static let exitStatus: Int32 = 70
    /// The steps of `publish`, in the order it takes them.
    public static let publishSteps: [CrashPoint] = [.staged, .firstBlob, .blobs, .config, .manifest, .index, .database]

    /// The environment that ends a process at this point.
    public var environment: [String: String] { [Self.environmentVariable: rawValue] }

    /// Ends the process when the environment names this point.
    public func reached() {
        if ProcessInfo.processInfo.environment[Self.environmentVariable] == rawValue { _exit(Self.exitStatus) }
    }
}
