import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a folder of files that belong together (an export's `model.safetensors` and `config.json`) so a
/// reader sees all the old files or all the new ones, never a mix, whenever the writer is killed.
///
/// The files are written into a fresh hidden sibling folder (named by `TemporaryName`), which is then swapped
/// with the target in one `renameat2(RENAME_EXCHANGE)` (or renamed into place when the target does not exist),
/// and the old folder, now under the hidden name, is removed. A folder a killed run left behind is removed by
/// the next run. Only a folder holding nothing but the files it is replaced with is replaced: anything else in
/// it would be lost, so it is refused.
///
/// ```swift
/// try AtomicDirectory.replace(output, holding: ["model.safetensors", "config.json"]) { folder in … }
/// ```
public enum AtomicDirectory {
    /// Fills a fresh folder with `fill` and swaps it in for `target` (its parent folders created if missing).
    /// - Parameter names: the files `fill` writes; an existing target may hold only these.
    /// - Throws: `FileSystemError` of kind `.refused` when the target is not a folder or holds other files,
    ///   `.io` when a step fails; whatever `fill` throws (the new folder is then removed, the target untouched).
    public static func replace(_ target: URL, holding names: Set<String>, fill: (URL) throws -> Void) throws {
        let parent = target.deletingLastPathComponent()
        let exists = try checkReplaceable(target, holding: names)
        do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw FileSystemError(path: parent.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        TemporaryName.removeAbandoned(in: parent)
        let fresh = parent.appendingPathComponent(TemporaryName.make(for: target.lastPathComponent))
        guard mkdir(fresh.path, 0o755) == 0 else {
            throw FileSystemError(path: fresh.path, operation: "create the folder")
        }
        do {
            try fill(fresh)
            CrashPoint.directoryFilled.reached()
            if exists {
                try exchange(fresh, target)
            } else {
                guard rename(fresh.path, target.path) == 0 else {
                    throw FileSystemError(path: target.path, operation: "rename into place")
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: fresh)
            throw error
        }
        try AtomicFileWriter.syncDirectory(parent)
        CrashPoint.directorySwapped.reached()
        if exists { try? FileManager.default.removeItem(at: fresh) }
    }

    /// Whether `target` exists, after refusing one that is not a folder or holds files other than `names`.
    private static func checkReplaceable(_ target: URL, holding names: Set<String>) throws -> Bool {
        var status = stat()
        guard lstat(target.path, &status) == 0 else {
            if errno == ENOENT { return false }
            throw FileSystemError(path: target.path, operation: "inspect")
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFDIR else {
            throw FileSystemError(
                path: target.path, reason: "is \(RegularFile.typeName(type)), not a folder", kind: .refused)
        }
        let contents: [String]
        do { contents = try FileManager.default.contentsOfDirectory(atPath: target.path) } catch {
            throw FileSystemError(path: target.path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        if let other = contents.sorted().first(where: { !names.contains($0) && TemporaryName.owner(of: $0) == nil }) {
            throw FileSystemError(
                path: target.path,
                reason: "holds '\(Quoted.name(other))', which lgreg did not write there; the folder is "
                    + "replaced as a whole, so give a new or empty folder (or one holding only \(names.sorted().joined(separator: " and ")))",
                kind: .refused)
        }
        return true
    }

    /// Swaps two folders atomically; where the filesystem cannot (no `RENAME_EXCHANGE`), moves the old one
    /// aside and the new one in, so a reader may briefly find no folder but never a mixed one.
    private static func exchange(_ fresh: URL, _ target: URL) throws {
        if let renameat2 = renameat2, renameat2(AT_FDCWD, fresh.path, AT_FDCWD, target.path, renameExchange) == 0 {
            return
        }
        guard renameat2 == nil || errno == EINVAL || errno == ENOSYS else {
            throw FileSystemError(path: target.path, operation: "swap the new folder into place")
        }
        let aside = target.deletingLastPathComponent().appendingPathComponent(
            TemporaryName.make(for: target.lastPathComponent))
        guard rename(target.path, aside.path) == 0 else {
            throw FileSystemError(path: target.path, operation: "move the old folder aside")
        }
        guard rename(fresh.path, target.path) == 0 else {
            let error = FileSystemError(path: target.path, operation: "rename into place")
            _ = rename(aside.path, target.path)
            throw error
        }
        guard rename(aside.path, fresh.path) == 0 else { throw FileSystemError(path: aside.path, operation: "rename") }
    }

    /// `RENAME_EXCHANGE` from `<linux/fs.h>`.
    private static let renameExchange: UInt32 = 1 << 1

    /// glibc's `renameat2` (2.28 and later), looked up at run time: the Swift Glibc module does not declare it.
    private static let renameat2:
        (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32).self)
        }()
}
