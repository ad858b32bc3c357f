import FaceMatrixCore
import FaceMatrixTestSupport
import Foundation

/// Faces found by a reference MTCNN in Python (Tests/Fixtures/reference_mtcnn.py), keyed by photo path.
enum ReferenceDetector {
    enum Implementation: String {
        case faceie, facenet
    }

    struct Output: Decodable {
        struct Face: Decodable {
            let box: [Double]
            let confidence: Double
            let landmarks: [[Double]]

            var boundingBox: BoundingBox { BoundingBox(minX: box[0], minY: box[1], maxX: box[2], maxY: box[3]) }
            var points: [Point] { landmarks.map { Point(x: $0[0], y: $0[1]) } }
        }

        let path: String
        let faces: [Face]
    }

    static func detect(_ paths: [String], with implementation: Implementation) throws -> [String: [Output.Face]] {
        let root = try TestData.facesDirectory()
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/reference_mtcnn.py").path
        let output = try TestEnvironment.run(
            "/usr/bin/env",
            [
                "PYTHONPATH=\(TestEnvironment.repositoryRoot.path)/tools", TestEnvironment.venvPython, script,
                implementation.rawValue, "\(TestModels.directory)/mtcnn",
            ]
                + paths.map { root.appendingPathComponent($0).path }
        )
        var results: [String: [Output.Face]] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            let decoded = try JSONDecoder().decode(Output.self, from: Data(line.utf8))
            let relative = String(decoded.path.dropFirst(root.path.count + 1))
            results[relative] = decoded.faces
        }
        return results
    }
}
