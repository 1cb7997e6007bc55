import Foundation

/// How a child process ended and what it printed.
public struct ProcessOutput: Sendable {
    /// The exit status, or the signal number when `signaled`.
    public var status: Int32
    /// True when the process was ended by a signal (a crash, or the timeout's SIGKILL).
    public var signaled: Bool
    /// True when the timeout ended it.
    public var timedOut: Bool
    /// Standard output, decoded as UTF-8.
    public var out: String
    /// Standard error, decoded as UTF-8.
    public var err: String

    /// A few lines for a failed expectation: the status and the ends of both streams.
    public var summary: String {
        func tail(_ text: String) -> String {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(6)
            return lines.map { $0.count > 300 ? $0.prefix(300) + "…" : $0 }.joined(separator: "\n")
        }
        let how = timedOut ? "timed out" : signaled ? "killed by signal \(status)" : "exit \(status)"
        return "\(how)\nstdout: \(tail(out))\nstderr: \(tail(err))"
    }
}

/// Runs `executable` (a path, or a name looked up on `PATH`) with `arguments`, feeding `input` on standard
/// input, and waits for it, killing it after `timeout` seconds. Output goes through temporary files, so a child
/// that fills one stream while the other is unread cannot deadlock the test.
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    input: Data? = nil, directory: URL? = nil, timeout: TimeInterval = 600
) throws -> ProcessOutput {
    let scratch = try TemporaryDirectory("lgreg-process")
    let outURL = scratch.appending("out")
    let errURL = scratch.appending("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    if executable.contains("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = directory }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    if let input {
        // A child that exits without reading its input must not kill the test with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
    }
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        finished.wait()
    }
    try outHandle.close()
    try errHandle.close()
    return ProcessOutput(
        status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
        timedOut: timedOut,
        out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// The `lgreg` binary the tests run: `$LGREG_TEST_BINARY` when set (`scripts/test.sh` sets it to the release
/// build, so the CLI and hostile-input tests run what users run), else the debug build beside the test bundle.
public var lgregBinary: URL {
    if let path = ProcessInfo.processInfo.environment["LGREG_TEST_BINARY"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    return Bundle.main.bundleURL.appendingPathComponent("lgreg")
}

/// Runs `lgreg arguments…` (see `lgregBinary`).
public func runLgreg(
    _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
    directory: URL? = nil, timeout: TimeInterval = 600
) throws -> ProcessOutput {
    try runProcess(
        lgregBinary.path, arguments, environment: environment, input: input, directory: directory, timeout: timeout)
}
