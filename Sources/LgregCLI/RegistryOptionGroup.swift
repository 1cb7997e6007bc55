import ArgumentParser
import Foundation
import LgregRemote

/// `--plain-http`, `--ca-file`: how every remote command reaches a registry.
struct RegistryOptionGroup: ParsableArguments {
    @Flag(
        name: .customLong("plain-http"),
        help:
            "Talk plain HTTP instead of HTTPS (a local test registry); credentials then go only to 127.0.0.1/localhost."
    )
    var plainHTTP = false
    @Option(
        name: .customLong("ca-file"),
        help: "A PEM file of CA certificates to trust beside the system's (a registry with a private CA).")
    var caFile: String?
    @Option(
        name: .customLong("timeout"),
        help: .init(
            "Seconds a registry may take to answer or to send more bytes "
                + "(default 60, or $LGREG_REGISTRY_TIMEOUT)."))
    var timeout: Double?
    @Option(
        name: .customLong("min-rate"),
        help: .init(
            "Bytes a second a transfer must average after the timeout's "
                + "grace, 0 for none (default 10000, or $LGREG_REGISTRY_MIN_RATE)."))
    var minimumRate: Int?
    @Option(name: .customLong("chunk-size"), help: .hidden)
    var chunkSize: Int?

    func validate() throws {
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1 byte.") }
    }

    /// The options a `Registry` takes.
    var options: RegistryOptions {
        var options = RegistryOptions()
        options.plainHTTP = plainHTTP
        options.caFile = caFile
        options.timeout = timeout
        options.minimumRate = minimumRate
        if let chunkSize { options.chunkBytes = chunkSize }
        return options
    }

    /// Runs `work` against `registry`, the HTTP client closed afterwards.
    func with<T: Sendable>(
        _ registry: String, options: RegistryOptions? = nil, _ work: @escaping @Sendable (Registry) async throws -> T
    ) throws -> T {
        let remote = try Registry(registry, options: options ?? self.options)
        return try Blocking.run {
            do {
                let result = try await work(remote)
                await remote.close()
                return result
            } catch {
                await remote.close()
                throw error
            }
        }
    }
}

/// A transfer's progress on stderr when it is a terminal (bytes, rate, blobs); nothing in a pipe.
func transferProgress(_ label: String) -> (@Sendable (TransferProgress) -> Void)? {
    guard let draw = TerminalProgress.transfer(label, items: "blobs") else { return nil }
    return { draw($0.bytes, $0.totalBytes, $0.blobs, $0.totalBlobs) }
}
