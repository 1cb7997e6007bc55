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
        case let .missingTensor(file, name): return "\(file): tensor '\(name)' is missing"
        case let .shapeMismatch(file, name, expected, actual): return "\(file): tensor '\(name)' has shape \(actual), the architecture needs \(expected)"
        case let .unsupportedFormat(file, field, found, expected): return "\(file): field '\(field)' is '\(found)'; this lgreg reads '\(expected)'"
        case let .checkpointMismatch(file, field, checkpoint, requested):
            return "\(file): checkpoint was written with \(field) = \(checkpoint), this run asks for \(requested); resume with the same options"
        case let .teacherLogitsMismatch(file, field, fileValue, runValue):
            return "\(file): teacher logits were computed for \(field) = \(fileValue), this run has \(runValue)"
        case let .invalidOption(name, reason): return "option '\(name)': \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}
