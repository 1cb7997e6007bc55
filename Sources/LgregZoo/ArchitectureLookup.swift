import Foundation
import LgregArchitecture
import LgregCore
import LgregResolver

extension ViTArchitecture {
    /// The architecture `name` names, the way every command's `--arch` reads it: a preset (`fmnist-tiny`), an lgreg
    /// export (its folder or its `config.json`), or an architecture JSON file; then `classes` replaces the head's
    /// classes and `classToken` adds timm's class token, and the result is validated.
    ///
    /// ```swift
    /// let cifar = try ViTArchitecture.lookup("deit-base", classes: 100)
    /// ```
    /// - Throws: `ZooError.unknownArchitecture` when `name` is neither a preset nor an existing file; the file's
    ///   own errors (`ArchitectureFileError`, `ResolverError`); `ArchitectureError` when the overrides leave it
    ///   invalid.
    public static func lookup(_ name: String, classes: Int? = nil, classToken: Bool = false) throws -> ViTArchitecture {
        var result: ViTArchitecture
        if presets.contains(where: { $0.name == name }) {
            result = try preset(name)
        } else if let config = exportConfig(name) {
            result = try TimmConfig.read(from: config).vitArchitecture(path: config.path)
        } else if FileManager.default.fileExists(atPath: name) {
            result = try ArchitectureFile.read(from: URL(fileURLWithPath: name)).architecture
        } else {
            throw ZooError.unknownArchitecture(name: name, presets: presets.map(\.name))
        }
        if let classes { result.classes = classes }
        if classToken { result = result.withTimmClassToken() }
        try result.validate()
        return result
    }

    /// The `config.json` of an lgreg export when `path` is an export folder or such a file (a JSON object with
    /// timm's `model_args`), else nil.
    private static func exportConfig(_ path: String) -> URL? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue { return url.appendingPathComponent("config.json") }
        guard let data = try? RegularFile.contents(of: url, limit: 1 << 20),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return object["model_args"] != nil ? url : nil
    }
}
