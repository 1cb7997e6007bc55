import Foundation
import LgregCore
import LgregTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 case 8: an export folder is replaced as a whole, so a reader sees both old files or both new.
@Suite struct AtomicDirectoryTests {
    let files: Set<String> = ["model.safetensors", "config.json"]

    func fill(_ model: String, _ config: String) -> (URL) throws -> Void {
        { folder in
            try AtomicFileWriter.write(Data(model.utf8), to: folder.appendingPathComponent("model.safetensors"))
            try AtomicFileWriter.write(Data(config.utf8), to: folder.appendingPathComponent("config.json"))
        }
    }

    func contents(_ url: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            result[name] = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
        }
        return result
    }

    @Test func createsThenReplacesTheWholeFolder() throws {
        let parent = try TemporaryDirectory("lgreg-core")
        let output = parent.appending("out/des-12")
        try AtomicDirectory.replace(output, holding: files, fill: fill("m6", "c6"))
        #expect(try contents(output) == ["model.safetensors": "m6", "config.json": "c6"])
        try AtomicDirectory.replace(output, holding: files, fill: fill("m15", "c15"))
        #expect(try contents(output) == ["model.safetensors": "m15", "config.json": "c15"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path("out")) == ["des-12"])
    }

    @Test func aFailedFillLeavesTheOldFolderAndNoTemporary() throws {
        let parent = try TemporaryDirectory("lgreg-core")
        let output = parent.appending("des")
        try AtomicDirectory.replace(output, holding: files, fill: fill("old", "old"))
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try AtomicDirectory.replace(output, holding: files) { folder in
                try AtomicFileWriter.write(Data("new".utf8), to: folder.appendingPathComponent("model.safetensors"))
                throw Stop()
            }
        }
        #expect(try contents(output) == ["model.safetensors": "old", "config.json": "old"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.url.path) == ["des"])
    }

    @Test func aFolderHoldingOtherFilesIsRefusedUntouched() throws {
        let parent = try TemporaryDirectory("lgreg-core")
        let output = parent.appending("home")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: output.appendingPathComponent("notes.txt"))
        #expect(throws: FileSystemError.self) {
            try AtomicDirectory.replace(output, holding: files, fill: fill("m", "c"))
        }
        #expect(try contents(output) == ["notes.txt": "mine"])
        let fifo = parent.appending("fifo")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        #expect(throws: FileSystemError(path: fifo.path, reason: "is a FIFO, not a folder", kind: .refused)) {
            try AtomicDirectory.replace(fifo, holding: files, fill: fill("m", "c"))
        }
    }

    /// A folder a killed export left (named for a process that is gone) is removed by the next run; one of a
    /// live process is not.
    @Test func abandonedFoldersOfDeadProcessesAreRemoved() throws {
        let parent = try TemporaryDirectory("lgreg-core")
        let gone = try exitedProcess()
        let abandoned = ".des.lgreg-tmp-\(gone)-0000aaaa"
        let live = ".des.lgreg-tmp-1-0000bbbb"
        for name in [abandoned, live] {
            try FileManager.default.createDirectory(at: parent.appending(name), withIntermediateDirectories: false)
            try Data(count: 1000).write(to: parent.appending(name).appendingPathComponent("model.safetensors"))
        }
        try AtomicDirectory.replace(parent.appending("des"), holding: files, fill: fill("m", "c"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: parent.url.path).sorted() == [live, "des"].sorted())
    }
}
