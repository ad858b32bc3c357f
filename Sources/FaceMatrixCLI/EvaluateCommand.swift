import ArgumentParser
import Crypto
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixEvaluation
import FacePipeline
import Foundation

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
            if let path { try Self.checkWritable(path, option: option) }
        }
        if let plot, !(plot.hasSuffix(".svg") || plot.hasSuffix(".png")) {
            throw ValidationError("--plot must name a .svg or .png file")
        }
    }

    /// Refuses an output path whose directory is missing or read-only, or that names a directory.
    static func checkWritable(_ path: String, option: String) throws {
        var isDirectory: ObjCBool = false
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.isWritableFile(atPath: parent)
        else { throw ValidationError("\(option): the directory \(parent) does not exist or is not writable") }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option): \(path) is a directory")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let dataset = try LabeledDataset(root: URL(fileURLWithPath: folder))
            guard !dataset.photos.isEmpty else { throw CommandFailure("\(folder)/labels.csv lists no photos") }
            for problem in dataset.skippedRows.prefix(5) { printError("skipped \(problem)") }
            let settings = try options.settings(intraOpThreads: 1)
            let models = try settings.loadModels()
            let (pipeline, _) = try settings.makePipeline(models: models)
            let cacheFile = try EmbeddingCache.file(
                directory: cache ?? EmbeddingCache.defaultDirectory,
                dataset: dataset,
                settings: settings,
                models: models
            )
            var photos = try EmbeddingCache.load(cacheFile).map { EmbeddingCache.relabeled($0, by: dataset) }
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
                    encoder.encode(CalibrationFile(result, model: pipeline.modelName, folder: folder)),
                    to: calibration
                )
            }
            try printJSON(EvaluationSummary(result))
            if let plot, let reportPath {
                defer { if report == nil { try? FileManager.default.removeItem(atPath: reportPath) } }
                try drawPlot(report: reportPath, output: plot)
            }
        }
    }

    func write(_ data: Data, to path: String) throws {
        do {
            try data.writeAtomically(to: URL(fileURLWithPath: path))
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
