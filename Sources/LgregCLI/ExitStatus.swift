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
import LgregVocabulary
import LgregZoo
import SafeTensors

/// The exit codes every command uses, listed in their `--help` and in README.md, and the one table that turns each
/// module's typed error into a message and a code.
enum ExitStatus {
    /// What the remote commands (push, pull, login, remote list) add to the codes.
    static let remoteHelp =
        "Exit status: 0 ok; 1 a tag holding other content; 64 usage, an unknown reference or repository; 65 a refused blob or manifest (wrong digest or size, too large, not a learngene); 74 I/O error; 75 registry unreachable, timed out, slower than --min-rate or failing (5xx); 76 the registry refused the request; 77 authentication refused, or credentials asked for over plain HTTP by another host."
    static let help =
        "Exit status: 0 ok; 1 damage, mismatch or conflict; 64 usage or bad input (no store there, an unknown reference); 65 bad archive data; 74 I/O error (no space, read-only, permission)."

    /// Prints `error: message` on stderr and returns the exit code for the caller to throw.
    static func failure(_ message: String, _ code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(SourcePaths.removed(from: message))\n".utf8))
        return ExitCode(code)
    }

    /// 64 for bad input (an unknown reference, no store or not a store, an invalid preset, schedule, order or
    /// layer map, a FIFO or device where a file belongs, an unknown data set); 65 for bad archive, tensor or
    /// data-set content (and a refused blob or manifest from a registry); 75 a registry unreachable or failing,
    /// 76 a request it refused, 77 refused credentials; 74 for I/O errors (no space left, a read-only filesystem, permission denied, a file
    /// that cannot be read or written); 2 when there is nothing to verify; 1 for damage and conflicts; for
    /// `verify --merge`, 3 when the reports are not every shard of one run exactly once, 65 a report that is not a
    /// shard's `verify --json`, 74 one that cannot be read; nil for an error that is not lgreg's.
    static func exitCode(for error: Error) -> Int32? {
        switch error {
        case is ReferenceError: return 64
        case let error as FileSystemError: return error.kind == .refused ? 64 : 74
        case let error as ArchiveError:
            if case .io = error { return 74 }
            return 65
        case let error as SafeTensorsError:
            if case .io = error { return 74 }  // a file that cannot be opened or mapped, as for archives
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
            case .derivedEntriesExist, .desNetLearngeneMissing, .desNetDoesNotReplan, .invalidTunedConfig,
                .claimedTop1Differs:
                return 1
            case .weightsDoNotFitBase: return 65
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
            case .unknownDataSpec, .layerMap, .batchTooLarge, .missingTensor, .tensorShape, .unexpectedTensor,
                .blockIndices, .inputShape:
                return 64
            case .dataIO: return 74
            default: return 65
            }
        case let error as TrainingError:
            if case .invalidOption = error { return 64 }
            if case .io = error { return 74 }
            return 1
        case let error as Verifier.MergeError:
            switch error {
            case .unreadable: return 74
            case .invalid: return 65
            case .incomplete: return 3
            }
        case let error as RemoteError:
            switch error {
            case .invalidReference, .invalidOption, .notFound: return 64
            case .refused: return 65
            case .io: return 74
            case .unreachable: return 75
            case .rejected: return 76
            case .authentication: return 77
            }
        default: return nil
        }
    }
}
