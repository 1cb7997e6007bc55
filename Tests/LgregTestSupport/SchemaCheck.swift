import Foundation

/// The repository's root folder, for tests that read fixtures, scripts and schemas by path.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Validates a JSON document against `Schemas/<schema>` with Python's `jsonschema` (an outside validator,
/// through `scripts/validate-schema.py`).
/// - Returns: the validator's exit status (0 valid, 1 invalid) and its message.
public func validateJSON(_ document: String, against schema: String) throws -> (status: Int32, message: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", repositoryRoot.appendingPathComponent("scripts/validate-schema.py").path,
        repositoryRoot.appendingPathComponent("Schemas/\(schema)").path, "-",
    ]
    let input = Pipe()
    let err = Pipe()
    process.standardInput = input
    process.standardError = err
    try process.run()
    input.fileHandleForWriting.write(Data(document.utf8))
    try input.fileHandleForWriting.close()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, message)
}
