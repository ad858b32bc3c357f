/// Why the models could not be loaded at start; the message names the file or the mismatch.
public enum ModelLoadingError: Error, Equatable, CustomStringConvertible {
    /// A manifest or model file does not exist; the payload is its path.
    case missingFile(String)
    /// A manifest does not decode as `ModelManifest` or has another `schema_version`.
    case unreadableManifest(path: String, reason: String)
    /// A model file's SHA-256 differs from the one in its manifest.
    case checksumMismatch(path: String)
    /// The manifest asks for something the pipeline does not implement (a crop method, channel order, metric…).
    case unsupported(String)
    /// The manifest lacks something the pipeline needs or gives it in an unusable form (a role, a section, a size).
    case incompatible(String)

    /// A one-line message for the start-up log, naming the fix where there is one.
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
