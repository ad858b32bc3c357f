import Crypto
import FaceMatrixConfiguration
import FaceMatrixEvaluation
import FacePipeline
import Foundation

/// Embeddings and quality of a folder's photos, kept between runs. The file name is a hash of everything that
/// changes them: the folder, the models' checksums, the embedder's name and version and the pipeline settings.
enum EmbeddingCache {
    static var defaultDirectory: String { "\(PipelineSettings.cacheDirectory())/evaluations" }

    /// - Parameter models: the models the pipeline was built from; their manifests' checksums are the key.
    static func file(directory: String, dataset: LabeledDataset, settings: PipelineSettings, models: FaceModels)
        throws -> URL
    {
        let checksums = (models.detector.files + models.embedder.files).map(\.sha256).sorted()
        // A photo replaced under the same name must not reuse the old embedding: its size and time are in the key.
        let files = dataset.photos.map { photo -> String in
            let attributes = try? FileManager.default.attributesOfItem(atPath: dataset.url(of: photo).path)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            return "\(photo.path):\(size):\(modified)"
        }
        let key = [
            dataset.root.resolvingSymlinksInPath().path, models.embedder.name, models.embedder.version,
            checksums.joined(separator: ","), String(describing: settings.detection),
            String(describing: settings.imageLimits), files.joined(separator: ","),
        ].joined(separator: "|")
        let digest = SHA256.hash(data: Data(key.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return URL(fileURLWithPath: directory).appendingPathComponent("\(models.embedder.name)-\(digest).json")
    }

    static func load(_ file: URL) throws -> [EmbeddedPhoto]? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let photos = try JSONDecoder().decode([EmbeddedPhoto].self, from: data)
        printError("reusing \(photos.count) embeddings from \(file.path)")
        return photos
    }

    /// Cached photos with the identities and folds `labels.csv` gives them now (the cache keys files, not labels).
    static func relabeled(_ photos: [EmbeddedPhoto], by dataset: LabeledDataset) -> [EmbeddedPhoto] {
        let labels = Dictionary(dataset.photos.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return photos.compactMap { photo in
            guard let label = labels[photo.path] else { return nil }
            var relabeled = photo
            relabeled.identity = label.identity
            relabeled.fold = label.fold
            return relabeled
        }
    }

    static func store(_ photos: [EmbeddedPhoto], in file: URL) throws {
        try JSONEncoder().encode(photos.sorted { $0.path < $1.path }).writeAtomically(to: file)
    }
}
