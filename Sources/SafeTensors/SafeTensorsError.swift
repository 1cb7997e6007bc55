import LgregCore

/// Everything that can be wrong with a safetensors file, one case per failure, in the order the reader
/// checks them.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(path: String, size: Int)
    /// The header length exceeds the format's 100,000,000-byte limit.
    case headerTooLarge(path: String, size: UInt64, limit: Int)
    /// The header length points past the end of the file.
    case headerOutOfBounds(path: String, headerSize: UInt64, fileSize: Int)
    /// The header bytes are not UTF-8.
    case headerNotUTF8(path: String)
    /// The header is not valid JSON, or not a JSON object; `offset` is the byte within the header.
    case invalidHeaderJSON(path: String, offset: Int, reason: String)
    /// A key appears twice in one JSON object.
    case duplicateKey(path: String, key: String)
    /// A tensor entry lacks a field or has one of the wrong type.
    case invalidTensorEntry(path: String, tensor: String, field: String, reason: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(path: String, key: String?, reason: String)
    /// A dtype the format defines but lgreg does not support, or one that does not exist.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// Offsets do not start at 0 or do not continue where the previous tensor ended.
    case offsetsNotContiguous(path: String, tensor: String, expectedBegin: Int, actualBegin: Int)
    /// A tensor's byte span differs from its element count times its dtype size.
    case sizeMismatch(path: String, tensor: String, expectedBytes: Int, actualBytes: Int)
    /// Element count or byte size overflows.
    case sizeOverflow(path: String, tensor: String)
    /// The tensors' data do not cover the file's data section exactly.
    case dataNotCovered(path: String, dataBytes: Int, coveredBytes: Int)
    /// No tensor of this name.
    case missingTensor(path: String, name: String)
    /// A tensor was asked for as a type it does not have.
    case wrongDType(path: String, tensor: String, expected: String, actual: DType)
    /// The writer was handed something it must refuse.
    case invalidWrite(reason: String)
    /// The operating system refused to open, map or write the file.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileTooSmall(let path, let size):
            return
                "\(Quoted.name(path)): \(size) bytes is too small for a safetensors file (the header length alone takes 8)"
        case .headerTooLarge(let path, let size, let limit):
            return "\(Quoted.name(path)): header length \(size) exceeds the limit of \(limit) bytes"
        case .headerOutOfBounds(let path, let headerSize, let fileSize):
            return "\(Quoted.name(path)): header length \(headerSize) runs past the end of the \(fileSize)-byte file"
        case .headerNotUTF8(let path):
            return "\(Quoted.name(path)): header is not valid UTF-8"
        case .invalidHeaderJSON(let path, let offset, let reason):
            return "\(Quoted.name(path)): header JSON invalid at byte \(offset): \(reason)"
        case .duplicateKey(let path, let key):
            return "\(Quoted.name(path)): header names '\(Quoted.name(key))' twice"
        case .invalidTensorEntry(let path, let tensor, let field, let reason):
            return "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' field '\(field)' \(reason)"
        case .invalidMetadata(let path, let key, let reason):
            return "\(Quoted.name(path)): __metadata__\(key.map { " key '\(Quoted.name($0))'" } ?? "") \(reason)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return
                "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' has dtype \(dtype); lgreg supports \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
        case .offsetsNotContiguous(let path, let tensor, let expectedBegin, let actualBegin):
            return
                "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' begins at data offset \(actualBegin), expected \(expectedBegin) (offsets must be sorted, start at 0, with no gap or overlap)"
        case .sizeMismatch(let path, let tensor, let expectedBytes, let actualBytes):
            return
                "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' spans \(actualBytes) bytes but its shape and dtype need \(expectedBytes)"
        case .sizeOverflow(let path, let tensor):
            return "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' has a shape whose size overflows"
        case .dataNotCovered(let path, let dataBytes, let coveredBytes):
            return
                "\(Quoted.name(path)): tensors cover \(coveredBytes) of the \(dataBytes) data bytes; the rest of the file is unaccounted for"
        case .missingTensor(let path, let name):
            return "\(Quoted.name(path)): no tensor named '\(Quoted.name(name))'"
        case .wrongDType(let path, let tensor, let expected, let actual):
            return "\(Quoted.name(path)): tensor '\(Quoted.name(tensor))' is \(actual.rawValue), expected \(expected)"
        case .invalidWrite(let reason):
            return "cannot write safetensors: \(reason)"
        case .io(let path, let reason):
            return "\(Quoted.name(path)): \(reason)"
        }
    }
}
