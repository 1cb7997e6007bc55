import Foundation

/// How long a registry may take: every request must start answering within `timeout` (uploads get the time
/// their bytes need at `minimumRate` on top), no wait for data may last longer than `timeout`, and a body must
/// arrive at `minimumRate` on average once the first `timeout` has passed. A registry slower than that is
/// unreachable (exit 75). Set by `--timeout` and `--min-rate`, else `LGREG_REGISTRY_TIMEOUT` and
/// `LGREG_REGISTRY_MIN_RATE`, else 60 s and 10,000 bytes a second.
public struct TransferLimits: Sendable, Equatable {
    /// Seconds a request may wait for an answer or for its next bytes.
    public var timeout: Double
    /// Bytes a second a body must average, the first `timeout` seconds not counted; 0 for no minimum.
    public var minimumRate: Int

    public static let timeoutVariable = "LGREG_REGISTRY_TIMEOUT"
    public static let minimumRateVariable = "LGREG_REGISTRY_MIN_RATE"

    /// The value of environment variable `name`, nil when it is not set.
    /// - Throws: `RemoteError.invalidOption` naming the variable when its value is not `unit`.
    private static func setting<Value: LosslessStringConvertible>(
        _ name: String, in environment: [String: String],
        unit: String
    ) throws -> Value? {
        guard let text = environment[name] else { return nil }
        guard let value = Value(text) else {
            throw RemoteError.invalidOption(name: name, reason: "'\(RemoteError.quoted(text))' is not \(unit)")
        }
        return value
    }

    /// The limits given, else those of the environment, else the defaults.
    /// - Throws: `RemoteError.invalidOption` naming the option or variable whose value cannot be used.
    public init(
        timeout: Double? = nil, minimumRate: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.timeout =
            try timeout ?? Self.setting(Self.timeoutVariable, in: environment, unit: "a number of seconds") ?? 60
        self.minimumRate =
            try minimumRate
            ?? Self.setting(Self.minimumRateVariable, in: environment, unit: "a number of bytes a second") ?? 10_000
        guard self.timeout.isFinite, (0.1...86_400).contains(self.timeout) else {
            throw RemoteError.invalidOption(
                name: timeout == nil ? Self.timeoutVariable : "--timeout",
                reason: "must be 0.1 to 86400 seconds, not \(self.timeout)")
        }
        guard self.minimumRate >= 0 else {
            throw RemoteError.invalidOption(
                name: minimumRate == nil ? Self.minimumRateVariable : "--min-rate",
                reason: "must be 0 or more bytes a second")
        }
    }

    /// The time `bytes` may take to go across: `timeout`, and the bytes at `minimumRate`. A request sending
    /// `bytes` must start answering within it; a body must have brought `bytes` within it.
    func allowedTime(for bytes: Int) -> Duration {
        // At most 10^9 s for the bytes (a huge upload at 1 byte a second), so the sum stays in range.
        .seconds(timeout) + (minimumRate > 0 ? .seconds(min(Double(bytes) / Double(minimumRate), 1e9)) : .zero)
    }

    /// A clock for one body, started now.
    func body(_ what: String, registry: String) -> BodyClock { BodyClock(limits: self, what: what, registry: registry) }
}

/// Times one response body against `TransferLimits`: `check` after each chunk throws once the bytes received
/// fall behind the minimum rate (the first `timeout` seconds are grace). A body that stops altogether is ended by
/// the HTTP client's read timeout, which is `timeout` too.
struct BodyClock {
    let limits: TransferLimits
    let what: String
    let registry: String
    private let started = ContinuousClock.now

    init(limits: TransferLimits, what: String, registry: String) {
        self.limits = limits
        self.what = what
        self.registry = registry
    }

    /// Throws `RemoteError.unreachable` (exit 75) when `received` bytes so far are too few for the time taken.
    func check(received: Int) throws {
        let elapsed = started.duration(to: .now)
        guard limits.minimumRate > 0, elapsed > limits.allowedTime(for: received) else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        throw RemoteError.unreachable(
            registry: registry,
            reason: "\(what) arrives too slowly: \(received) bytes in "
                + String(format: "%.1f s", seconds)
                + ", under the minimum of \(limits.minimumRate) bytes a second after "
                + "\(Self.format(limits.timeout)) s (--min-rate, --timeout)")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
