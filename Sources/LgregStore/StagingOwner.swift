import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process that made an entry of `.lgreg/tmp`, recorded in the entry's name (`label~pid~start~uuid`, the
/// start time in clock ticks since boot, from `/proc/<pid>/stat`), so a later run tells an entry a killed
/// process left behind from one a live process is writing, even after the pid was reused.
struct StagingOwner: Equatable {
    var pid: Int32
    var startTime: UInt64

    /// This process.
    static let current = StagingOwner(pid: getpid(), startTime: startTime(of: getpid()) ?? 0)

    init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The owner an entry name records; nil for a name of another form.
    init?(entryName: String) {
        let parts = entryName.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 4, let pid = Int32(parts[1]), pid > 0, let start = UInt64(parts[2]) else { return nil }
        self.init(pid: pid, startTime: start)
    }

    /// A fresh entry name owned by this owner.
    func entryName(_ label: String) -> String { "\(label)~\(pid)~\(startTime)~\(UUID().uuidString)" }

    /// False only when the owner is provably gone: no process has its pid, or the one that has it started at
    /// another time. Where `/proc` cannot be read, every owner counts as alive.
    var isAlive: Bool {
        if let now = Self.startTime(of: pid) { return now == startTime }
        return Self.startTime(of: getpid()) == nil
    }

    /// Field 22 of `/proc/<pid>/stat`, the process's start time; nil when there is no such process.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come fields 3, 4, …; the start time is field 22, the 20th of them.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
