import ArgumentParser
import Foundation
import LgregStore

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
