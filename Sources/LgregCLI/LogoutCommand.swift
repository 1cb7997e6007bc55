import ArgumentParser
import Foundation
import LgregRemote

/// `lgreg logout registry.example.com`
struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove a registry's credentials from the Docker config file.",
        discussion:
            "Exit status: 0 removed or there were none; 64 a bad host; 74 the config file cannot be read or written.")

    @Argument(help: "HOST[:PORT] of the registry.")
    var host: String

    func run() throws {
        let registryName = try registryHost(host)
        let config = DockerConfig()
        let removed = try config.store(nil, for: registryName)
        print(
            removed
                ? "Removed the credentials for \(registryName) from \(config.url.path)"
                : "No credentials for \(registryName) in \(config.url.path)")
    }
}
