import Foundation

/// How a child process ended and the most memory it held.
public struct MeasuredRun: Sendable {
    /// The exit status (negative: the signal that ended it, as Python reports it).
    public var status: Int32
    /// Peak resident set size in bytes (`ru_maxrss`, which Linux counts in KiB).
    public var peakBytes: Int
    /// Standard error.
    public var err: String
}

/// Runs `executable arguments…` (standard output discarded) and returns its peak resident set size, which a small
/// Python parent reads with `os.wait4` for that one child.
///
/// Not measured from this process: Linux carries a process's peak over `execve`, so a child spawned by a test
/// process holding 90 MB would report at least 90 MB; Python's `subprocess` spawns from a ~10 MB process, below
/// any lgreg command's own peak. (`getrusage(RUSAGE_CHILDREN)` would also report the largest child ever waited
/// for, not this one.)
public func runMeasuringPeakMemory(_ executable: String, _ arguments: [String], timeout: TimeInterval = 300) throws
    -> MeasuredRun
{
    let script = """
        import os, subprocess, sys
        child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
        """
    let run = try runProcess("python3", ["-c", script, executable] + arguments, timeout: timeout)
    let fields = run.out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    guard run.status == 0, fields.count == 2 else {
        return MeasuredRun(status: run.status == 0 ? -1 : run.status, peakBytes: 0, err: run.summary)
    }
    return MeasuredRun(status: Int32(fields[0]), peakBytes: fields[1] * 1024, err: run.err)
}
