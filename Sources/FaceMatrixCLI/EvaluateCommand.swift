import ArgumentParser
import Crypto
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixEvaluation
import FacePipeline
import Foundation
import ONNXRuntime

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure accuracy on a labelled photo folder and calibrate the model's decision thresholds.",
        discussion: """
            The folder needs labels.csv (columns file and identity, optionally a fold column such as lfw_fold) \
            and may have pairs.csv (the official 1:1 pairs: [fold,]file_a,file_b,same). Every photo is embedded \
            with the service's own pipeline (kept in a cache keyed by model, version and pipeline settings); then \
            the impostor tail is fitted, and 1:1 verification, open-set FAR/FRR on held-out folds at several \
            gallery sizes, the original system's FRR/FAR protocol, a margin study and the quality gate's cost are \
            reported as JSON. Without a fold column, people are split into three folds by a hash of their name.
            """
    )

    @Argument(help: "The labelled folder.") var folder = "../shared/testdata/faces/lfw"
    @Option(help: "Where to write the full report (JSON).") var report: String?
    @Option(help: "Where to write the calibration file read by `make models`.") var calibration: String?
    @Option(help: "Where to draw the DET curve and FAR/FRR versus gallery size (.svg or .png; needs the tooling venv).")
    var plot: String?
    @Option(help: "Directory of the embedding cache (default: $FACEMATRIX_CACHE/evaluations).") var cache: String?
    @Option(help: "Target open-set false-accept rate (the share of strangers taken for someone).")
    var targetFar = IdentificationPolicy.defaultTargetFalseAcceptRate
    @Option(help: "Margin the best person needs over the runner-up.") var margin = 0.0
    @Option(help: "Galleries drawn per size in the held-out proof.") var draws = 10
    @Option(help: "Photos embedded at the same time.") var concurrency = 2
    @OptionGroup var options: PipelineOptions

    func validate() throws {
        guard IdentificationPolicy.targetFalseAcceptRates.contains(targetFar) else {
            throw ValidationError("--target-far must be in \(IdentificationPolicy.targetFalseAcceptRates)")
        }
        guard (0...1).contains(margin) else { throw ValidationError("--margin must be in 0...1") }
        guard (1...1000).contains(draws) else { throw ValidationError("--draws must be in 1...1000") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be in 1...64") }
        // Checked before minutes of embedding, not after.
        for (option, path) in [("--report", report), ("--calibration", calibration), ("--plot", plot)] {
            guard let path else { continue }
            var isDirectory: ObjCBool = false
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue,
                FileManager.default.isWritableFile(atPath: parent)
            else { throw ValidationError("\(option): the directory \(parent) does not exist or is not writable") }
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("\(option): \(path) is a directory")
            }
        }
        if let plot, !(plot.hasSuffix(".svg") || plot.hasSuffix(".png")) {
            throw ValidationError("--plot must name a .svg or .png file")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let dataset = try LabelledDataset(root: URL(fileURLWithPath: folder))
            guard !dataset.photos.isEmpty else { throw CommandFailure("\(folder)/labels.csv lists no photos") }
            for problem in dataset.skippedRows.prefix(5) { printError("skipped \(problem)") }
            let settings = try options.settings(intraOpThreads: 1)
            let models = try settings.loadModels()
            let (pipeline, _) = try settings.makePipeline(models: models, environment: ONNXRuntimeEnvironment.shared())
            let cacheFile = try EmbeddingCache.file(
                directory: cache ?? EmbeddingCache.defaultDirectory, dataset: dataset, settings: settings,
                models: models)
            var photos = try EmbeddingCache.load(cacheFile).map { EmbeddingCache.relabelled($0, by: dataset) }
            if photos == nil { photos = try await embedAll(dataset, with: pipeline, into: cacheFile) }

            var evaluationOptions = AccuracyEvaluation.Options()
            evaluationOptions.targetFalseAcceptRate = targetFar
            evaluationOptions.margin = margin
            evaluationOptions.draws = draws
            let result = try AccuracyEvaluation(dataset: dataset, photos: photos ?? [], options: evaluationOptions)
                .run { printError($0) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            // The plot is drawn from the report, so a plot without --report goes through a temporary one.
            let reportPath = report ?? plot.map { _ in "\(NSTemporaryDirectory())/facematrix-report-\(UUID()).json" }
            if let reportPath { try write(encoder.encode(result), to: reportPath) }
            if let calibration {
                try write(
                    encoder.encode(CalibrationFile(result, model: pipeline.modelName, folder: folder)), to: calibration)
            }
            try printJSON(EvaluationSummary(result))
            if let plot, let reportPath {
                defer { if report == nil { try? FileManager.default.removeItem(atPath: reportPath) } }
                try drawPlot(report: reportPath, output: plot)
            }
        }
    }

    /// Why a listed photo gave no embedding.
    enum Miss: String, CaseIterable {
        case missing = "missing or unreadable"
        case undecodable = "not a usable image"
        case noFace = "without a face"
    }

    func embedAll(_ dataset: LabelledDataset, with pipeline: FacePipeline, into cacheFile: URL) async throws
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

    static func embed(_ photo: LabelledDataset.Photo, in dataset: LabelledDataset, with pipeline: FacePipeline) async
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
                path: photo.path, identity: photo.identity, fold: photo.fold, embedding: embedding,
                quality: face.quality))
    }

    func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(path)")
        }
    }

    func drawPlot(report: String, output: String) throws {
        // The plotting script lives in the clone's tools/ (Python is for offline tooling only).
        let root = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FACEMATRIX_ROOT"] ?? ".")
        let venv = ProcessInfo.processInfo.environment["FACEMATRIX_VENV"] ?? "\(PipelineSettings.cacheDirectory())/venv"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(venv)/bin/python")
        process.arguments = [root.appendingPathComponent("tools/plot_evaluation.py").path, report, output]
        do {
            try process.run()
        } catch {
            throw CommandFailure("cannot run \(venv)/bin/python for the plot (run `make models` to create the venv)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailure("drawing \(output) failed") }
    }
}

/// Embeddings and quality of a folder's photos, kept between runs. The file name is a hash of everything that
/// changes them: the folder, the models' checksums, the embedder's name and version and the pipeline settings.
enum EmbeddingCache {
    static var defaultDirectory: String { "\(PipelineSettings.cacheDirectory())/evaluations" }

    /// - Parameter models: the models the pipeline was built from; their manifests' checksums are the key.
    static func file(directory: String, dataset: LabelledDataset, settings: PipelineSettings, models: FaceModels)
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
    static func relabelled(_ photos: [EmbeddedPhoto], by dataset: LabelledDataset) -> [EmbeddedPhoto] {
        let labels = Dictionary(dataset.photos.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return photos.compactMap { photo in
            guard let label = labels[photo.path] else { return nil }
            var relabelled = photo
            relabelled.identity = label.identity
            relabelled.fold = label.fold
            return relabelled
        }
    }

    static func store(_ photos: [EmbeddedPhoto], in file: URL) throws {
        try JSONEncoder().encode(photos.sorted { $0.path < $1.path }).write(to: file, options: .atomic)
    }
}

/// A one-line progress bar with an estimate of the time left, on standard error. When standard error is not a
/// terminal (a log file, CI), a line every 10 % instead.
final class ProgressBar {
    private let label: String
    private let total: Int
    private var done = 0
    private var lastDrawn = ContinuousClock.now
    private let started = ContinuousClock.now
    private let interactive = isatty(STDERR_FILENO) != 0

    init(label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    /// Called from one task at a time (the task group's consumer).
    func advance() {
        done += 1
        let now = ContinuousClock.now
        if interactive {
            guard now - lastDrawn > .milliseconds(200) || done == total else { return }
            lastDrawn = now
            FileHandle.standardError.write(Data("\r\(line(now))".utf8))
        } else if done * 10 / total != (done - 1) * 10 / total {
            FileHandle.standardError.write(Data("\(line(now))\n".utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func line(_ now: ContinuousClock.Instant) -> String {
        let width = 30
        let filled = done * width / total
        let elapsed = (now - started).milliseconds / 1000
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(label) [\(bar)] \(done)/\(total) \(done * 100 / total)%  ETA \(Int(left) / 60)m\(Int(left) % 60)s "
    }
}

/// The file `make models` copies thresholds from (tools/calibration/<model>.json).
struct CalibrationFile: Encodable {
    let thresholds: MatchThresholds
    let notes: String

    init(_ report: AccuracyEvaluation.Report, model: String, folder: String) {
        thresholds = report.thresholds
        notes = """
            Calibrated by `facematrix evaluate` with FaceMatrix's own pipeline (MTCNN → 5-point alignment → \
            \(model)) on every photo of \(folder) (\(report.photos) photos of \(report.people) people): \
            verification = best-accuracy 1:1 threshold on the official pairs; impostor_tail = least-squares fit of \
            similarity = location + scale · ln(1/rate) to the rate at which pairs of different people (each pair of \
            people weighted alike) reach a similarity, for rates \(report.impostorTail.lowestRate) to \
            \(report.impostorTail.highestRate); the service's 1:N threshold for N enrolled people at target FAR F \
            is location + scale · ln(N / F). Checked on held-out folds; see the README.
            """
    }
}

/// The headline figures, printed to standard output.
struct EvaluationSummary: Encodable {
    let thresholds: MatchThresholds
    let verification: [String: Double]
    let originalProtocol: OriginalProtocol.Result
    let heldOut: [String: [String: Double]]
    let photosWithoutFace: Int

    init(_ report: AccuracyEvaluation.Report) {
        thresholds = report.thresholds
        verification = [
            "auc": report.verification.auc, "threshold": report.verification.atThreshold.threshold,
            "accuracy": report.verification.atThreshold.accuracy,
            "frr": report.verification.atThreshold.falseRejectRate,
            "far": report.verification.atThreshold.falseAcceptRate,
        ]
        originalProtocol = report.originalProtocol
        heldOut = Dictionary(
            report.rotatedFolds.filter { $0.testFold == "all" }.map {
                (
                    "gallery \($0.gallerySize)",
                    [
                        "threshold": $0.threshold, "far": $0.falseAcceptRate, "far_low": $0.falseAcceptInterval[0],
                        "far_high": $0.falseAcceptInterval[1], "frr": $0.falseRejectRate,
                    ]
                )
            }, uniquingKeysWith: { first, _ in first })
        photosWithoutFace = report.photosWithoutFace.count
    }

    enum CodingKeys: String, CodingKey {
        case thresholds, verification
        case originalProtocol = "original_protocol"
        case heldOut = "held_out"
        case photosWithoutFace = "photos_without_face"
    }
}
