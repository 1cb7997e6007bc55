import Foundation
import LgregCore
import LgregTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct AtomicFileWriterTests {
    /// The names in `folder`, sorted.
    func names(_ folder: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.url.path)) ?? []).sorted()
    }

    @Test func replacesARegularFileAndLeavesNoTemporary() throws {
        let folder = try TemporaryDirectory("lgreg-core")
        let target = folder.url.appendingPathComponent("config.json")
        try Data("old".utf8).write(to: target)
        try AtomicFileWriter.write(Data("new".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
        #expect(names(folder) == ["config.json"])
    }

    @Test func anUncommittedWriterLeavesTheTargetAndRemovesItsTemporary() throws {
        let folder = try TemporaryDirectory("lgreg-core")
        let target = folder.url.appendingPathComponent("model.safetensors")
        try Data("old".utf8).write(to: target)
        do {
            let writer = try AtomicFileWriter(replacing: target)
            try Data("half".utf8).withUnsafeBytes { try writer.write($0) }
            #expect(names(folder).count == 2)
        }
        #expect(try String(contentsOf: target, encoding: .utf8) == "old")
        #expect(names(folder) == ["model.safetensors"])
    }

    /// Issue 10 case 9: `export -o /dev/full` replaced the device with a regular file.
    @Test func refusesACharacterDevice() throws {
        #expect(
            throws: FileSystemError(
                path: "/dev/null", reason: "is a character device, not a regular file; refusing to replace it",
                kind: .refused)
        ) {
            try AtomicFileWriter.write(Data("x".utf8), to: URL(fileURLWithPath: "/dev/null"))
        }
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func refusesAFIFOAFolderAndASymbolicLink() throws {
        let folder = try TemporaryDirectory("lgreg-core")
        let fifo = folder.url.appendingPathComponent("fifo")
        let dir = folder.url.appendingPathComponent("dir")
        let link = folder.url.appendingPathComponent("link")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "dir")
        for (url, what) in [(fifo, "a FIFO"), (dir, "a folder"), (link, "a symbolic link")] {
            #expect(
                throws: FileSystemError(
                    path: url.path, reason: "is \(what), not a regular file; refusing to replace it", kind: .refused)
            ) {
                try AtomicFileWriter.write(Data("x".utf8), to: url)
            }
        }
        #expect(names(folder) == ["dir", "fifo", "link"])
    }

    @Test func temporaryNamesCarryTheirOwner() {
        let name = TemporaryName.make(for: "model.safetensors")
        #expect(name.hasPrefix(".model.safetensors.lgreg-tmp-\(getpid())-"))
        #expect(TemporaryName.owner(of: name) == getpid())
        #expect(TemporaryName.owner(of: "model.safetensors") == nil)
        #expect(TemporaryName.owner(of: ".x.lgreg-tmp-abc-1") == nil)
    }

    /// Only temporaries of processes that are gone are removed: not this process's, not a live one's
    /// (pid 1), not the user's files.
    @Test func removesOnlyTheTemporariesOfDeadProcesses() throws {
        let folder = try TemporaryDirectory("lgreg-core")
        let gone = try exitedProcess()
        let dead = ".model.safetensors.lgreg-tmp-\(gone)-0000aaaa"
        let deadFolder = ".out.lgreg-tmp-\(gone)-0000bbbb"
        let live = ".model.safetensors.lgreg-tmp-1-0000cccc"
        let mine = TemporaryName.make(for: "config.json")
        for name in [dead, live, mine, "model.safetensors", ".hidden"] {
            try Data("x".utf8).write(to: folder.url.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(
            at: folder.url.appendingPathComponent(deadFolder).appendingPathComponent("inner"),
            withIntermediateDirectories: true)
        #expect(TemporaryName.removeAbandoned(in: folder.url).sorted() == [deadFolder, dead].sorted())
        #expect(names(folder) == [".hidden", live, mine, "model.safetensors"].sorted())
    }
}

/// The id of a process that has already exited (run `/bin/true` and wait for it).
func exitedProcess() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
