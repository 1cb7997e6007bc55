import CArchive
import Foundation
import LgregArchitecture
import LgregArchive
import LgregCore
import LgregStore
import SafeTensors

/// A fresh folder under the system temp directory.
func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lgreg-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small random learngene (fmnist-tiny, schedule 1,1: two layers) written as an archive.
func smallArchive(
    in dir: URL, name: String = "tiny", version: String = "1", seed: UInt64 = 0, file: String = "tiny.lgz"
) throws -> URL {
    let url = dir.appendingPathComponent(file)
    try RandomLearngene.write(
        name: name, version: version, kind: .sws, architecture: try .preset("fmnist-tiny"),
        schedule: try StageSchedule([1, 1]), seed: seed, toolVersion: "test", to: url)
    return url
}

/// One entry of a tar built by hand, any type, any size.
struct HandEntry {
    var path: String
    var data = Data()
    var type: UInt32 = TarFileType.regular
    var symlink: String?
    var hardlink: String?
}

/// Writes `entries` as a zstd (or, with `compressed` false, plain) tar through libarchive directly, with no
/// checks at all.
func writeHandTar(_ entries: [HandEntry], to url: URL, compressed: Bool = true) {
    let archive = archive_write_new()
    archive_write_set_format_pax_restricted(archive)
    if compressed { archive_write_add_filter_zstd(archive) }
    archive_write_open_filename(archive, url.path)
    for item in entries {
        let entry = archive_entry_new()
        archive_entry_set_pathname(entry, item.path)
        archive_entry_set_filetype(entry, item.type)
        archive_entry_set_perm(entry, 0o644)
        if let target = item.symlink { archive_entry_set_symlink(entry, target) }
        if let target = item.hardlink { archive_entry_set_hardlink(entry, target) }
        archive_entry_set_size(entry, item.type == TarFileType.regular ? Int64(item.data.count) : 0)
        archive_write_header(archive, entry)
        if !item.data.isEmpty {
            _ = item.data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        }
        archive_entry_free(entry)
    }
    archive_write_close(archive)
    archive_write_free(archive)
}

/// The files of a valid archive, to build hostile variants from.
struct ArchiveParts {
    var manifest: LearngeneManifest
    var manifestBytes: Data
    var files: [String: Data]

    init(_ url: URL) throws {
        let read = try LearngeneArchive.read(url)
        manifest = read.manifest
        manifestBytes = read.manifestBytes
        files = Dictionary(uniqueKeysWithValues: read.files.map { ($0.record.file, Data($0.tensors.fileBytes)) })
    }

    /// The entries in lgreg's order.
    var entries: [HandEntry] {
        [HandEntry(path: "manifest.json", data: manifestBytes)]
            + manifest.files.map { HandEntry(path: $0.file, data: files[$0.file]!) }
    }

    /// Replaces a file and updates its digest and size in the manifest, so only the content is wrong.
    mutating func replace(_ file: String, with data: Data) throws {
        files[file] = data
        if file == LearngeneManifest.sharedFile {
            manifest.shared!.digest = .of(data)
            manifest.shared!.size = data.count
        } else {
            let m = manifest.layers.firstIndex { $0.file == file }!
            manifest.layers[m].digest = .of(data)
            manifest.layers[m].size = data.count
        }
        manifestBytes = try manifest.encoded()
    }
}

/// Files in the store's `blobs/sha256`.
func blobCount(_ store: LearngeneStore) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: store.layout.blobsDirectory.path).count
}

/// Builds safetensors variants for hostile tests.
enum SafeTensorsTestFile {
    /// `file` with tensor `name` replaced by zeros of another shape.
    static func layer(_ file: Data, replacing name: String, shape: [Int]) throws -> Data {
        let original = try SafeTensorsFile(data: file, label: "layer")
        var writer = SafeTensorsWriter()
        for info in original.tensors {
            if info.name == name {
                try writer.add(name, shape: shape, floats: [Float](repeating: 0, count: shape.reduce(1, *)))
            } else {
                try writer.add(
                    info.name, dtype: info.dtype, shape: info.shape, bytes: Array(try original.bytes(info.name)))
            }
        }
        return try writer.serialized()
    }
}
