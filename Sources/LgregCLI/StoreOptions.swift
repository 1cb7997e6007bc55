import ArgumentParser
import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregImport
import LgregStore
import LgregZoo
import SafeTensors

/// `--store`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Store folder (default: $LGREG_HOME, else $XDG_DATA_HOME/lgreg, else ~/.local/share/lgreg).")
    var store: String?

    /// Opens (creating if needed) the store.
    func open() throws -> LearngeneStore {
        try LearngeneStore(root: store.map { URL(fileURLWithPath: $0) } ?? LearngeneStore.defaultRoot())
    }
}

/// The exit codes the store and archive commands use, listed in their `--help`.
enum StoreExit {
    static let help = "Exit status: 0 ok; 1 damage, mismatch or conflict; 64 usage or bad input; 65 bad archive data; 74 I/O error."

    /// Runs `body`, printing an lgreg error on stderr and exiting with its code: 64 for bad input (an unknown
    /// reference, an invalid preset or schedule, a FIFO or device where a file belongs), 65 for bad archive or
    /// tensor data, 74 for a file that cannot be read or written, 1 for damage and conflicts.
    static func run(_ body: () throws -> Void) throws {
        do { try body() } catch let error as FileSystemError {
            fail(error.description, error.kind == .notARegularFile ? 64 : 74)
        } catch let error as ArchiveError {
            fail(error.description, 65)
        } catch let error as SafeTensorsError {
            fail(error.description, 65)
        } catch let error as ArchitectureError {
            fail(error.description, 64)
        } catch let error as ArchitectureFileError {
            fail(error.description, 64)
        } catch let error as ImportError {
            switch error {
            case .missingKey, .invalidOption: fail(error.description, 64)
            default: fail(error.description, 65)
            }
        } catch let error as ZooError {
            fail(error.description, error == .nothingToVerify ? 2 : 64)
        } catch let error as StoreError {
            switch error {
            case .notFound, .ambiguous, .invalidReference: fail(error.description, 64)
            default: fail(error.description, 1)
            }
        }
    }

    static func fail(_ message: String, _ code: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(code)
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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Human byte counts: 141.2 MB.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes), unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
