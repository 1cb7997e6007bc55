import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregImport
import LgregRemote
import LgregResolver
import LgregRuntime
import LgregStore
import LgregTraining
import LgregZoo
import SafeTensors

/// `--store`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Store folder (default: $LGREG_HOME, else $XDG_DATA_HOME/lgreg, else ~/.local/share/lgreg).")
    var store: String?

    func validate() throws {
        if store?.isEmpty == true { throw ValidationError("--store needs a folder; '' names none.") }
    }

    /// Opens the store as `mode` says (readers never create or write anything; `publish`, the one command that
    /// creates a store, says so).
    func open(_ mode: LearngeneStore.OpenMode = .read) throws -> LearngeneStore {
        try LearngeneStore(root: store.map { URL(fileURLWithPath: $0) } ?? LearngeneStore.defaultRoot(), mode: mode)
    }
}

/// The exit codes every command uses, listed in their `--help` and in README.md, and the one place that turns
/// a module's error into a message and a code.
enum StoreExit {
    static let help = "Exit status: 0 ok; 1 damage, mismatch or conflict; 64 usage or bad input (no store there, an unknown reference); 65 bad archive data; 74 I/O error (no space, read-only, permission)."

    /// Prints `error: message` on stderr and returns the exit code for the caller to throw.
    static func failure(_ message: String, _ code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// 64 for bad input (an unknown reference, no store or not a store, an invalid preset, schedule, order or
    /// layer map, a FIFO or device where a file belongs, an unknown data set); 65 for bad archive, tensor or
    /// data-set content (and a refused blob or manifest from a registry); 75 a registry unreachable or failing,
    /// 76 a request it refused, 77 refused credentials; 74 for I/O errors (no space left, a read-only filesystem, permission denied, a file
    /// that cannot be read or written); 2 when there is nothing to verify; 1 for damage and conflicts; nil for
    /// an error that is not lgreg's.
    static func exitCode(for error: Error) -> Int32? {
        switch error {
        case let error as FileSystemError: return error.kind == .refused ? 64 : 74
        case let error as ArchiveError:
            if case .io = error { return 74 }
            return 65
        case let error as SafeTensorsError:
            if case .io = error { return 74 }   // a file that cannot be opened or mapped, as for archives
            return 65
        case is ArchitectureError, is ArchitectureFileError: return 64
        case let error as ImportError:
            switch error {
            case .missingKey, .invalidOption: return 64
            default: return 65
            }
        case let error as ZooError:
            switch error {
            case .nothingToVerify: return 2
            case .derivedEntriesExist, .desNetLearngeneMissing, .desNetDoesNotReplan, .invalidTunedConfig: return 1
            default: return 64
            }
        case let error as StoreError:
            switch error {
            case .notFound, .notALearngene, .ambiguous, .invalidReference, .noStore, .notAStore, .baseMissing: return 64
            case .io: return 74
            default: return 1
            }
        case let error as ResolverError:
            switch error {
            case .tensorMismatch, .unsupportedDType, .scheduleMismatch, .invalidFile: return 65
            case .io: return 74
            default: return 64
            }
        case let error as RuntimeError:
            switch error {
            // A model file that does not fit the --arch it was given, an unknown data set, a bad map: bad input.
            case .unknownDataSpec, .layerMap, .batchTooLarge, .missingTensor, .tensorShape, .unexpectedTensor, .blockIndices, .inputShape:
                return 64
            case .dataIO: return 74
            default: return 65
            }
        case let error as TrainingError:
            if case .invalidOption = error { return 64 }
            if case .io = error { return 74 }
            return 1
        case let error as RemoteError: return error.exitCode
        default: return nil
        }
    }
}

/// What every store and archive command prints with `--json` (`Schemas/store-output.schema.json`): the
/// format version, which report it is, and the report under a key of its name.
struct JSONReport<Body: Encodable>: Encodable {
    var schemaVersion = 1
    var report: String
    var body: Body

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schemaVersion, forKey: Key("schemaVersion"))
        try container.encode(report, forKey: Key("report"))
        try container.encode(body, forKey: Key(report))
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Prints `body` as report `report` (`{"schemaVersion": 1, "report": "gc", "gc": {…}}`).
func printReport<T: Encodable>(_ report: String, _ body: T) throws {
    try printJSON(JSONReport(report: report, body: body))
}

/// Pretty JSON with sorted keys, as every `--json` prints it.
func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try encodedJSON(value), as: UTF8.self))
}

/// The bytes `printJSON` prints, without the final newline.
func encodedJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

/// Pretty JSON with sorted keys of a `JSONSerialization` object (a table's rows inside a document).
func printJSONObject(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Human byte counts: 141.2 MB.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes), unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
