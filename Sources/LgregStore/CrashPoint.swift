import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test hook: with `LGREG_TEST_CRASH_AFTER=<step>` in the environment the process ends with `_exit(70)`
/// right after that step of a write, so tests can check that a crash at any point leaves the store consistent.
public enum CrashPoint: String, CaseIterable, Sendable {
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

    func reached() {
        if ProcessInfo.processInfo.environment["LGREG_TEST_CRASH_AFTER"] == rawValue { _exit(70) }
    }
}
