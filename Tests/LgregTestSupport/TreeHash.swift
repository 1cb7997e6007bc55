import Foundation
import LgregCore

/// Every file under `root` (private state included) with the SHA-256 of its bytes; folders as "dir". Equal before
/// and after an operation means the operation left the tree byte-identical.
public func treeHash(_ root: URL) throws -> [String: String] {
    var result: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])!
    for case let url as URL in enumerator {
        let relative = String(url.path.dropFirst(root.path.count))
        if (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true {
            result[relative] = "dir"
        } else {
            result[relative] = Digest.of(try Data(contentsOf: url)).hex
        }
    }
    return result
}
