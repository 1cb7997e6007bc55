import ArgumentParser
import Foundation
import LgregArchitecture
import LgregZoo

/// Selects a ViT architecture: a preset or a JSON file, with optional overrides.
struct ArchitectureOptions: ParsableArguments {
    @Argument(
        help:
            "A preset name (see `lgreg arch list`), the path of an architecture JSON file, or an lgreg export: its folder or its config.json."
    )
    var architecture: String

    @Option(help: "Classes of the head, replacing the architecture's own (Table 2 of the paper uses 100).")
    var classes: Int?

    @Flag(name: .customLong("class-token"), help: "Add a class token and classify from it, as timm's DeiT does.")
    var classToken = false

    /// The architecture with the overrides applied, validated (`ViTArchitecture.lookup`).
    func resolve() throws -> ViTArchitecture {
        try ViTArchitecture.lookup(architecture, classes: classes, classToken: classToken)
    }
}

/// Parses `--depths 6-15`.
func parseDepths(_ text: String) throws -> [Int] {
    do { return try DepthRange.parse(text) } catch let error as ArchitectureError {
        throw ValidationError(error.description)
    }
}
