/// Why the models could not be loaded at start; the message names the file or the mismatch.
public enum ModelLoadingError: Error, Equatable, CustomStringConvertible {
    case missingFile(String)
    case unreadableManifest(path: String, reason: String)
    case checksumMismatch(path: String)
    case unsupported(String)
    case incompatible(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "model file \(path) is missing; run `make models`"
        case .unreadableManifest(let path, let reason): "cannot read manifest \(path): \(reason)"
        case .checksumMismatch(let path): "\(path) does not match the sha256 in its manifest; run `make models` again"
        case .unsupported(let what): "the model needs \(what), which the pipeline does not support"
        case .incompatible(let what): "the model does not fit the pipeline: \(what)"
        }
    }
}
