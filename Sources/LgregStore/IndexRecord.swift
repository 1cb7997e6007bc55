import GRDB

/// A row of one of the index database's tables (`Schemas/index.sql`), read and written by GRDB through `Codable`:
/// each Swift property is its column, named in camel case (`mtimeNs` for `mtime_ns`).
protocol IndexRecord: Codable, FetchableRecord, PersistableRecord {}

extension IndexRecord {
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}
