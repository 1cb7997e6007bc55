import Foundation

/// Progress on standard error, only when it is a terminal (quiet in pipes and CI logs).
enum TerminalProgress {
    /// A callback that redraws "label: done/total" on stderr, or nil when stderr is not a TTY.
    @Sendable static func reporter(_ label: String) -> ((Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        }
    }
}
