import ArgumentParser
import Foundation
import LgregArchitecture

/// Selects a ViT architecture: a preset or a JSON file, with optional overrides.
struct ArchitectureOptions: ParsableArguments {
    @Argument(help: "A preset name (see `lgreg arch list`) or the path of an architecture JSON file.")
    var architecture: String

    @Option(help: "Classes of the head, replacing the architecture's own (Table 2 of the paper uses 100).")
    var classes: Int?

    @Flag(name: .customLong("class-token"), help: "Add a class token and classify from it, as timm's DeiT does.")
    var classToken = false

    /// The architecture with the overrides applied, validated.
    func resolve() throws -> ViTArchitecture {
        var result: ViTArchitecture
        if ViTArchitecture.presets.contains(where: { $0.name == architecture }) {
            result = try ViTArchitecture.preset(architecture)
        } else if FileManager.default.fileExists(atPath: architecture) {
            result = try ArchitectureFile.read(from: URL(fileURLWithPath: architecture)).architecture
        } else {
            throw ValidationError("'\(architecture)' is neither a preset (\(ViTArchitecture.presets.map(\.name).joined(separator: ", "))) nor an existing file.")
        }
        if let classes { result.classes = classes }
        if classToken { result = result.withTimmClassToken() }
        try result.validate()
        return result
    }
}

/// Parses `--depths 6-15`.
func parseDepths(_ text: String) throws -> [Int] {
    do { return try DepthRange.parse(text) } catch let error as ArchitectureError {
        throw ValidationError(error.description)
    }
}
