import ArgumentParser
import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver

/// Selects a ViT architecture: a preset or a JSON file, with optional overrides.
struct ArchitectureOptions: ParsableArguments {
    @Argument(help: "A preset name (see `lgreg arch list`), the path of an architecture JSON file, or an lgreg export: its folder or its config.json.")
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
        } else if let config = Self.exportConfig(architecture) {
            result = try TimmConfig.read(from: config).vitArchitecture(path: config.path)
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

extension ArchitectureOptions {
    /// The `config.json` of an lgreg export when `path` is an export folder or such a file (a JSON object
    /// with timm's `model_args`), else nil.
    static func exportConfig(_ path: String) -> URL? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue { return url.appendingPathComponent("config.json") }
        guard let data = try? RegularFile.contents(of: url, limit: 1 << 20),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return object["model_args"] != nil ? url : nil
    }
}

/// Parses `--depths 6-15`.
func parseDepths(_ text: String) throws -> [Int] {
    do { return try DepthRange.parse(text) } catch let error as ArchitectureError {
        throw ValidationError(error.description)
    }
}
