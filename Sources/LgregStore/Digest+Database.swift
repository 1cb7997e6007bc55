import GRDB
import LgregCore

/// A digest is stored as its text, `sha256:<hex>`; a value that is not one fails to decode (the store then
/// rebuilds its cache) instead of crashing.
extension Digest: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Digest? {
        String.fromDatabaseValue(dbValue).flatMap { Digest($0) }
    }
}
