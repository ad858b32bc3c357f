import FaceMatrixCore
import FaceMatrixEvaluation
import FacePipeline
import Foundation

/// Embedding every photo of the folder, a few at a time, with a progress bar.
extension EvaluateCommand {
    /// Why a listed photo gave no embedding.
    enum Miss: String, CaseIterable {
        case missing = "missing or unreadable"
        case undecodable = "not a usable image"
        case noFace = "without a face"
    }

    func embedAll(_ dataset: LabeledDataset, with pipeline: FaceAnalysisPipeline, into cacheFile: URL) async throws
        -> [EmbeddedPhoto]
    {
        var photos: [EmbeddedPhoto] = []
        var misses: [Miss: [String]] = [:]
        let progress = ProgressBar(label: "embedding", total: dataset.photos.count)
        try await withThrowingTaskGroup(of: (String, Result<EmbeddedPhoto, MissError>).self) { group in
            var pending = dataset.photos.makeIterator()
            func addNext() {
                guard let photo = pending.next() else { return }
                group.addTask { (photo.path, await Self.embed(photo, in: dataset, with: pipeline)) }
            }
            for _ in 0..<concurrency { addNext() }
            while let (path, result) = try await group.next() {
                switch result {
                case .success(let photo): photos.append(photo)
                case .failure(let miss): misses[miss.kind, default: []].append(path)
                }
                progress.advance()
                addNext()
            }
        }
        progress.finish()
        // A bad photo is counted and named, not the end of the run.
        for kind in Miss.allCases {
            guard let paths = misses[kind]?.sorted() else { continue }
            let examples = paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? ", …" : "")
            printError("\(paths.count) photos \(kind.rawValue): \(examples)")
        }
        printError("\(photos.count) photos embedded; cached in \(cacheFile.path)")
        try EmbeddingCache.store(photos, in: cacheFile)
        return photos
    }

    struct MissError: Error {
        let kind: Miss
    }

    static func embed(_ photo: LabeledDataset.Photo, in dataset: LabeledDataset, with pipeline: FaceAnalysisPipeline)
        async
        -> Result<EmbeddedPhoto, MissError>
    {
        guard let bytes = try? readFile(dataset.url(of: photo).path) else { return .failure(MissError(kind: .missing)) }
        let analysis: FaceAnalysis
        do {
            analysis = try await pipeline.analyze(bytes, embedding: .main)
        } catch {
            return .failure(MissError(kind: .undecodable))
        }
        guard let face = analysis.faces.first, let embedding = face.embedding else {
            return .failure(MissError(kind: .noFace))
        }
        return .success(
            EmbeddedPhoto(
                path: photo.path,
                identity: photo.identity,
                fold: photo.fold,
                embedding: embedding,
                quality: face.quality
            )
        )
    }
}
