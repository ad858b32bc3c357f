import ArgumentParser
import FaceInference
import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ImageDecoding

/// `make bench-pipeline`: how fast the face pipeline is on this machine, per stage and end to end, compared with
/// ONNX Runtime alone on the very same tensors.
@main
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facematrix-bench",
        abstract: "Benchmark the face pipeline and write bench/results/."
    )

    @Option(help: "The shared face photos.") var testdata = "../shared/testdata/faces"
    @Option(help: "Converted models (default: the model cache).") var models: String?
    @Option(help: "Passes over the photo set per measurement.") var passes = 2
    @Option(help: "Timed runs of the 640×480 portrait.") var portraitRuns = 60
    @Option(help: "Directory for the result files.") var output = "bench/results"

    struct ConfigurationResult: Codable {
        let runtime: String
        let intraOpThreads: Int
        let stagesMs: [String: Distribution]
        let endToEndMsTotal: Double
        let pureNetworkMsTotal: Double
        let endToEndOverPureNetwork: Double
        let imagesPerSecond1Caller: Double
        let imagesPerSecond2Callers: Double
        let portrait640x480: Distribution
        let portraitPureNetwork: Distribution
    }

    struct Report: Codable {
        let command: String
        let date: String
        let machine: MachineDescription
        let photos: Int
        let photoPixelsMean: Double
        let configurations: [ConfigurationResult]
    }

    func run() async throws {
        let photos = try loadPhotos()
        let portrait = try makePortrait()
        // FACEMATRIX_MODEL_DIR (which `make bench-pipeline` sets) and the other settings, as the service reads them.
        var settings = try PipelineSettings(environment: ProcessInfo.processInfo.environment)
        if let models { settings.modelDirectory = models }
        let faceModels = try settings.loadModels()
        var results: [ConfigurationResult] = []
        for runtime in InferenceRuntime.inProcess {
            for intraOpThreads in [1, 2] {
                print("measuring \(runtime) with \(intraOpThreads) intra-op thread(s)…")
                settings.inference = runtime
                settings.intraOpThreads = intraOpThreads
                results.append(
                    try await measure(photos: photos, portrait: portrait, models: faceModels, settings: settings)
                )
            }
        }
        let pixels = try photos.map { try ImageDecoder().probe($0) }.map { Double($0.width * $0.height) }
        let report = Report(
            command: (["make bench-pipeline:"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
            date: ISO8601DateFormatter().string(from: Date()),
            machine: .current(),
            photos: photos.count,
            photoPixelsMean: pixels.reduce(0, +) / Double(pixels.count),
            configurations: results
        )
        try write(report)
    }

    func loadPhotos() throws -> [[UInt8]] {
        var photos: [[UInt8]] = []
        for subset in ["facenet-pytorch", "face_recognition"] {
            let root = URL(fileURLWithPath: testdata).appendingPathComponent(subset)
            let labels = try String(contentsOf: root.appendingPathComponent("labels.csv"), encoding: .utf8)
            for line in labels.split(whereSeparator: \.isNewline).dropFirst() {
                let path = String(line.split(separator: ",")[0])
                photos.append([UInt8](try Data(contentsOf: root.appendingPathComponent(path))))
            }
        }
        return photos
    }

    /// A 640×480 portrait: the centre of obama-480p.jpg, as a camera at a desk or door would deliver it.
    func makePortrait() throws -> [UInt8] {
        let source = URL(fileURLWithPath: testdata).appendingPathComponent("face_recognition/examples/obama-480p.jpg")
        let image = try ImageDecoder().decode([UInt8](try Data(contentsOf: source))).image
        let left = (image.width - 640) / 2
        var pixels: [UInt8] = []
        pixels.reserveCapacity(640 * 480 * 3)
        for row in 0..<480 {
            let start = (row * image.width + left) * 3
            pixels += image.pixels[start..<(start + 640 * 3)]
        }
        return try Encoders.jpeg(RGBImage(width: 640, height: 480, pixels: pixels), quality: 90)
    }

    func write(_ report: Report) throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let stamp = report.date.replacingOccurrences(of: ":", with: "").prefix(15)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = "\(output)/pipeline-\(stamp).json"
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        let markdown = "\(output)/pipeline-\(stamp).md"
        try Data(summary(report).utf8).write(to: URL(fileURLWithPath: markdown))
        print(summary(report))
        print("wrote \(json) and \(markdown)")
    }

    func summary(_ report: Report) -> String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var text = """
            # Pipeline benchmark

            - command: `\(report.command)`
            - date: \(report.date)
            - machine: \(report.machine.cpu), \(report.machine.cores) cores, \(report.machine.memoryGiB) GiB, Linux \(report.machine.kernel)
            - photos: \(report.photos) (the labelled shared test photos, mean \(f(report.photoPixelsMean / 1e6)) MP), \(passes) passes

            | runtime | intra-op threads | e2e / pure network | images/s, 1 caller | images/s, 2 callers | 640×480 p50 | 640×480 p95 | 640×480 network p50 |
            |---|---|---|---|---|---|---|---|

            """
        for result in report.configurations {
            text += "| \(result.runtime) | \(result.intraOpThreads) | "
            text += "\(String(format: "%.2f", result.endToEndOverPureNetwork)) | "
            text += "\(f(result.imagesPerSecond1Caller)) | \(f(result.imagesPerSecond2Callers)) | "
            text += "\(f(result.portrait640x480.p50)) ms | \(f(result.portrait640x480.p95)) ms | "
            text += "\(f(result.portraitPureNetwork.p50)) ms |\n"
        }
        text += "\nMean time per stage over the photo set, one caller (ms):\n\n"
        text += "| runtime | intra-op threads | decode | P-Net pyramid | R-Net | O-Net | align | embed | total |\n"
        text += "|---|---|---|---|---|---|---|---|---|\n"
        for result in report.configurations {
            let stage = { (name: String) in f(result.stagesMs[name]?.mean ?? 0) }
            text += "| \(result.runtime) | \(result.intraOpThreads) | \(stage("decode")) | \(stage("pnet")) | "
            text += "\(stage("rnet")) | "
            text += "\(stage("onet")) | \(stage("align")) | \(stage("embed")) | \(stage("total")) |\n"
        }
        return text
    }
}
