import Crypto
public import FaceMatrixCore
import Foundation

/// The converted networks the pipeline needs, found through their manifests in the model directory
/// (`make models` writes it): `mtcnn/manifest.json` and `<embedder>/manifest.json`.
public struct FaceModels: Sendable {
    /// The MTCNN manifest (`mtcnn/manifest.json`), listing P-Net, R-Net and O-Net.
    public let detector: ModelManifest
    /// The embedder's manifest: crop, preprocessing, embedding contract and calibrated thresholds.
    public let embedder: ModelManifest
    /// Absolute paths of the .onnx files by pipeline role: "pnet", "rnet", "onet", "embedder".
    public let paths: [String: String]

    /// The embedder folder used when none is named: Open Model Zoo's face-reidentification-retail-0095.
    public static let defaultEmbedder = "face-reidentification-retail-0095"

    /// Reads both manifests and checks every model file they list.
    ///
    /// - Parameters:
    ///   - directory: The model directory, holding `mtcnn/` and one folder per embedder.
    ///   - embedderName: The embedder's folder under `directory`.
    ///   - verifyChecksums: Whether to compare each .onnx file with the SHA-256 in its manifest.
    /// - Throws: `ModelLoadingError.missingFile` for a missing manifest or model file; `.unreadableManifest` for a
    ///   manifest that does not decode or has another `schema_version`; `.checksumMismatch` for a file that does
    ///   not match its SHA-256; `.incompatible` when a role, the embedding or the crop section is missing;
    ///   `.unsupported` for embeddings not compared by cosine after L2 normalisation.
    public init(directory: String, embedder embedderName: String = defaultEmbedder, verifyChecksums: Bool = true)
        throws(ModelLoadingError)
    {
        let detectorDirectory = "\(directory)/mtcnn"
        let embedderDirectory = "\(directory)/\(embedderName)"
        self.detector = try Self.manifest(in: detectorDirectory)
        self.embedder = try Self.manifest(in: embedderDirectory)
        var paths: [String: String] = [:]
        for role in ["pnet", "rnet", "onet"] {
            guard let file = detector.file(role: role) else {
                throw .incompatible("the MTCNN manifest lists no \(role)")
            }
            paths[role] = try Self.checkedPath(file, in: detectorDirectory, verify: verifyChecksums)
        }
        guard let model = embedder.file(role: "model") else {
            throw .incompatible("the embedder manifest lists no model")
        }
        paths["embedder"] = try Self.checkedPath(model, in: embedderDirectory, verify: verifyChecksums)
        guard let embedding = embedder.embedding, embedder.crop != nil else {
            throw .incompatible("the embedder manifest has no embedding or crop section")
        }
        // The service compares embeddings by cosine after L2 normalisation; any other contract would give
        // plausible-looking but wrong similarities, so it is refused at start.
        guard embedding.metric == "cosine", embedding.normalize == "l2" else {
            throw .unsupported("embeddings compared by \(embedding.metric) after \(embedding.normalize) normalisation")
        }
        self.paths = paths
    }

    /// The manifest format this build reads (`tools/facematrix_models/manifest.py` writes it).
    public static let manifestSchemaVersion = 1

    /// Decodes `manifest.json` in `directory`, refusing any schema version but `manifestSchemaVersion`.
    static func manifest(in directory: String) throws(ModelLoadingError) -> ModelManifest {
        let path = "\(directory)/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch {
            throw .unreadableManifest(path: path, reason: "\(error)")
        }
        guard manifest.schemaVersion == manifestSchemaVersion else {
            throw .unreadableManifest(
                path: path,
                reason: "schema_version \(manifest.schemaVersion); this build reads \(manifestSchemaVersion)"
            )
        }
        return manifest
    }

    /// The path of `file` in `directory`, once it is known to exist and, with `verify`, to match its SHA-256.
    static func checkedPath(_ file: ModelManifest.File, in directory: String, verify: Bool) throws(ModelLoadingError)
        -> String
    {
        let path = "\(directory)/\(file.path)"
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
        if verify {
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            guard digest == file.sha256.lowercased() else { throw .checksumMismatch(path: path) }
        }
        return path
    }
}
