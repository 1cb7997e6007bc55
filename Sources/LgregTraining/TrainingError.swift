/// Failures of training, fine-tuning, checkpoints and teacher files.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A weights file lacks a tensor the model needs.
    case missingTensor(file: String, name: String)
    /// A tensor's shape differs from the architecture's.
    case shapeMismatch(file: String, name: String, expected: [Int], actual: [Int])
    /// A file carries a format tag or version this build does not read.
    case unsupportedFormat(file: String, field: String, found: String, expected: String)
    /// A checkpoint was written by a run with another configuration.
    case checkpointMismatch(file: String, field: String, checkpoint: String, requested: String)
    /// Precomputed teacher logits belong to another training set, seed or schedule.
    case teacherLogitsMismatch(file: String, field: String, fileValue: String, runValue: String)
    /// An option's value is out of range or inconsistent with another.
    case invalidOption(name: String, reason: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingTensor(let file, let name): return "\(file): tensor '\(name)' is missing"
        case .shapeMismatch(let file, let name, let expected, let actual):
            return "\(file): tensor '\(name)' has shape \(actual), the architecture needs \(expected)"
        case .unsupportedFormat(let file, let field, let found, let expected):
            return "\(file): field '\(field)' is '\(found)'; this lgreg reads '\(expected)'"
        case .checkpointMismatch(let file, let field, let checkpoint, let requested):
            return
                "\(file): checkpoint was written with \(field) = \(checkpoint), this run asks for \(requested); resume with the same options"
        case .teacherLogitsMismatch(let file, let field, let fileValue, let runValue):
            return "\(file): teacher logits were computed for \(field) = \(fileValue), this run has \(runValue)"
        case .invalidOption(let name, let reason): return "option '\(name)': \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
