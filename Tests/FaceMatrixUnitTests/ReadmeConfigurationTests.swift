import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixServer
import FacePipeline
import Foundation
import Testing

/// The README's configuration table is the operator's manual: every variable the code reads is in it, and every
/// default it states is the one the code uses (the code's defaults come from the types that define them).
@Suite struct ReadmeConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Variable → documented default, from the table's rows (`A`, `B` | `1`, `2` pairs up names and values;
    /// `_MIN_X` continues the previous name's prefix).
    static func documented() throws -> [String: String] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "## Configuration"), let end = readme.range(of: "## Architecture")
        else { return [:] }
        var table: [String: String] = [:]
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let names = cells[0].matches(of: /`([A-Z_]+)`/).map { String($0.output.1) }
            let values = cells[1].matches(of: /`([^`]*)`/).map { String($0.output.1) }
            var prefix = ""
            for (index, name) in names.enumerated() {
                let full = name.hasPrefix("_") ? prefix + name : name
                if !name.hasPrefix("_") {
                    prefix = name.range(of: "_MIN_").map { String(name[..<$0.lowerBound]) } ?? name
                }
                table[full] = index < values.count ? values[index] : ""
            }
        }
        return table
    }

    /// Every environment variable named in a string literal of the Swift sources.
    static func read() throws -> Set<String> {
        var names: Set<String> = []
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            // The test support library reads the test run's own variables, not the operator's.
            guard file.pathExtension == "swift", !file.path.contains("/FaceMatrixTestSupport/") else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /"(FACEMATRIX_[A-Z_]+|HOST|PORT|DATABASE_URL|LOG_LEVEL)"/) {
                names.insert(String(match.output.1))
            }
        }
        return names
    }

    static func text(_ value: Double) -> String { String(format: "%g", value) }
    static func text(_ values: [Float]) -> String { values.map { text(Double("\($0)") ?? 0) }.joined(separator: ",") }

    @Test func everyVariableTheCodeReadsIsDocumented() throws {
        let documented = try Self.documented()
        #expect(documented.count >= 30, "the table was not found or not read: \(documented.keys.sorted())")
        for name in try Self.read().sorted() {
            #expect(documented[name] != nil, "\(name) is read by the code but not in the README's table")
        }
    }

    @Test func everyDocumentedDefaultIsTheCodes() throws {
        let documented = try Self.documented()
        let configuration = try AppConfiguration(environment: ["DATABASE_URL": "postgres://u@h/d"])
        let pipeline = configuration.pipeline
        let detection = pipeline.detection
        let recognition = configuration.recognition
        let quality = recognition.quality
        let code: [String: String] = [
            "HOST": configuration.host, "PORT": String(configuration.port),
            "FACEMATRIX_EMBEDDER": pipeline.embedderName, "LOG_LEVEL": configuration.logLevel.rawValue,
            "FACEMATRIX_MAX_IMAGE_BYTES": String(pipeline.imageLimits.maxBytes),
            "FACEMATRIX_MAX_IMAGE_PIXELS": String(pipeline.imageLimits.maxPixels),
            "FACEMATRIX_MIN_FACE_SIZE": Self.text(detection.minimumFaceSize),
            "FACEMATRIX_MIN_FACE_FRACTION": Self.text(detection.minimumFaceFraction),
            "FACEMATRIX_HNSW_EF_SEARCH": String(configuration.efSearch),
            "FACEMATRIX_DETECTION_THRESHOLDS": Self.text([
                detection.thresholds.pnet, detection.thresholds.rnet, detection.thresholds.onet,
            ]),
            "FACEMATRIX_NMS_THRESHOLDS": Self.text([
                detection.nmsThresholds.pnetLevel, detection.nmsThresholds.pnetAll, detection.nmsThresholds.rnet,
                detection.nmsThresholds.onet,
            ]),
            "FACEMATRIX_MIN_FACE_CONFIDENCE": Self.text([detection.minimumConfidence]),
            "FACEMATRIX_INTRA_OP_THREADS": String(pipeline.intraOpThreads),
            "FACEMATRIX_MAX_WAIT_MS": String(Int(recognition.waitBudget / .milliseconds(1))),
            "FACEMATRIX_MAX_QUEUE": String(recognition.queueLimit),
            "FACEMATRIX_MAX_FACES": String(recognition.maximumFacesPerPhoto),
            "FACEMATRIX_TARGET_FAR": Self.text(recognition.targetFalseAcceptRate),
            "FACEMATRIX_ALLOWED_THRESHOLDS":
                "\(Self.text(recognition.allowedThresholds.lowerBound)),\(Self.text(recognition.allowedThresholds.upperBound))",
            "FACEMATRIX_ENROLLMENT_KEY_TTL": String(recognition.enrollmentKeyLifetime.components.seconds),
            "FACEMATRIX_ENROLL_MIN_CONFIDENCE": Self.text(quality.minimumConfidence),
            "FACEMATRIX_ENROLL_MIN_FACE_SIZE": Self.text(quality.minimumFaceSize),
            "FACEMATRIX_ENROLL_MIN_EYE_DISTANCE": Self.text(quality.minimumInterocularDistance),
            "FACEMATRIX_ENROLL_MIN_SHARPNESS": Self.text(quality.minimumSharpness),
            "FACEMATRIX_ENROLL_MIN_FRONTAL": Self.text(quality.minimumFrontalScore),
        ]
        for (name, value) in code.sorted(by: { $0.key < $1.key }) {
            #expect(
                documented[name] == value,
                "\(name): the README says \(documented[name] ?? "nothing"), the code \(value)"
            )
        }
    }
}
