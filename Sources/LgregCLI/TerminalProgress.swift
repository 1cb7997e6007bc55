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

    /// A callback that redraws "label: bytes of total, rate/s, items done/total" on stderr (a transfer), or nil
    /// when stderr is not a TTY.
    static func transfer(_ label: String, items: String) -> (
        @Sendable (_ bytes: Int, _ totalBytes: Int, _ done: Int, _ total: Int) -> Void
    )? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let started = Date()
        return { bytes, totalBytes, done, total in
            let rate = Double(bytes) / max(Date().timeIntervalSince(started), 0.001)
            let finished = done == total && bytes >= totalBytes
            FileHandle.standardError.write(
                Data(
                    "\r\(label): \(formatBytes(bytes)) of \(formatBytes(totalBytes)), \(formatBytes(Int(rate)))/s, \(items) \(done)/\(total)   \(finished ? "\n" : "")"
                        .utf8))
        }
    }
}
