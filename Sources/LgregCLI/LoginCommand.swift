import ArgumentParser
import Foundation
import LgregRemote

/// `lgreg login registry.example.com -u me --password-stdin`
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check and store credentials for a registry in the Docker config file.",
        discussion: """
            The credentials are tried against the registry first (basic auth or its token server), then stored as \
            `auths` in $DOCKER_CONFIG/config.json, else ~/.docker/config.json (base64 user:password, as docker, ORAS, \
            skopeo and crane read them; the file is replaced atomically, mode 0600). The password is read from standard \
            input with --password-stdin, else asked for on the terminal without echo; it is never printed. \
            \(ExitStatus.remoteHelp)
            """)

    @Argument(help: "HOST[:PORT] of the registry.")
    var host: String
    @Option(name: [.short, .long], help: "User name (asked for when not given).")
    var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
    var passwordStdin = false
    @OptionGroup var registry: RegistryOptionGroup

    func run() throws {
        let registryName = try registryHost(host)
        guard let username = username ?? prompt("Username: "), !username.isEmpty else {
            throw RemoteError.invalidReference(host, reason: "a user name is needed (-u NAME)")
        }
        let password: String
        if passwordStdin {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            password = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .newlines)
        } else {
            guard isatty(STDIN_FILENO) == 1, let typed = getpass("Password: ") else {
                throw RemoteError.invalidReference(
                    host, reason: "no terminal to ask for the password on; use --password-stdin")
            }
            password = String(cString: typed)
        }
        guard !password.isEmpty else { throw RemoteError.invalidReference(host, reason: "the password is empty") }
        var options = registry.options
        let credential = DockerConfig.Credential(username: username, password: password)
        options.credential = credential
        try registry.with(registryName, options: options) { try await $0.ping() }
        try options.dockerConfig.store(credential, for: registryName)
        print("Login succeeded: \(registryName) (credentials in \(options.dockerConfig.url.path))")
    }

    private func prompt(_ text: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        FileHandle.standardError.write(Data(text.utf8))
        return readLine()
    }
}

/// `HOST[:PORT]` (a trailing `/` and an `https://` are accepted), checked.
func registryHost(_ text: String) throws -> String {
    var host = Substring(text)
    for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host = host.dropFirst(scheme.count) }
    while host.hasSuffix("/") { host = host.dropLast() }
    let reference = try RegistryReference(String(host) + "/")
    return reference.registry
}
