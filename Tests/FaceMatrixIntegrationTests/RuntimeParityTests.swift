import FaceMatrixConfiguration
import FaceMatrixCore
import FaceMatrixEvaluation
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import Testing

/// OpenVINO and ONNX Runtime run the same .onnx files; a gallery enrolled on one must keep working on the other, so
/// they must find the same faces and give the same embeddings on real photos.
@Suite struct RuntimeParityTests {
    static let openVINO = TestModels.pipeline(on: .openvino)
    static let onnxRuntime = TestModels.pipeline(on: .onnxruntime)

    /// Every face of every labelled photo: the same boxes within 0.5 px and embeddings with a cosine of at least
    /// 0.9999.
    @Test func labelledPhotosGiveTheSameFacesAndEmbeddings() async throws {
        try await Self.expectSameFaces(Self.openVINO, as: Self.onnxRuntime, label: "OpenVINO vs ONNX Runtime")
    }

    /// Analyses every labelled photo with both pipelines and expects the same faces, boxes within 0.5 px and
    /// embeddings with a cosine of at least 0.9999.
    static func expectSameFaces(
        _ candidate: FaceAnalysisPipeline,
        as reference: FaceAnalysisPipeline,
        label: String
    ) async throws {
        var (faces, lowestCosine, largestBoxDifference) = (0, 1.0, 0.0)
        for photo in try LabeledPhoto.labeledSets() {
            let bytes = try photo.bytes
            let expected = try await reference.analyze(bytes, embedding: .all)
            let actual = try await candidate.analyze(bytes, embedding: .all)
            try #require(actual.faces.count == expected.faces.count, "\(photo)")
            for (ours, theirs) in zip(actual.faces, expected.faces) {
                let difference = ours.detection.box.largestEdgeDifference(to: theirs.detection.box)
                let cosine = try #require(ours.embedding).similarity(to: try #require(theirs.embedding))
                #expect(difference <= 0.5, "\(photo): box off by \(difference) px")
                #expect(cosine >= 0.9999, "\(photo): cosine \(cosine)")
                (faces, lowestCosine) = (faces + 1, min(lowestCosine, cosine))
                largestBoxDifference = max(largestBoxDifference, difference)
            }
        }
        print(
            "\(label): \(faces) faces, lowest cosine \(lowestCosine), largest box difference \(largestBoxDifference) px"
        )
        #expect(faces >= 50)
    }

    /// The official pairs of one LFW fold, decided at the manifest's verification threshold: the same accuracy on
    /// both runtimes, to the pair.
    @Test func lfwPairsAreDecidedAlike() async throws {
        let dataset = try LabeledDataset(root: try TestData.facesDirectory().appendingPathComponent("lfw"))
        let pairs = dataset.pairs.filter { $0.fold == 8 }
        let threshold = try #require(Self.openVINO.thresholds?.verification)
        var accuracies: [Double] = []
        for pipeline in [Self.onnxRuntime, Self.openVINO] {
            var embeddings: [String: Embedding] = [:]
            for path in Set(pairs.flatMap { [$0.first, $0.second] }) {
                let bytes = [UInt8](try Data(contentsOf: dataset.root.appendingPathComponent(path)))
                embeddings[path] = try await pipeline.analyze(bytes, embedding: .main).faces.first?.embedding
            }
            let correct = pairs.filter { pair in
                guard let a = embeddings[pair.first], let b = embeddings[pair.second] else { return !pair.samePerson }
                return (a.similarity(to: b) >= threshold) == pair.samePerson
            }
            accuracies.append(Double(correct.count) / Double(pairs.count))
        }
        print(
            "LFW fold 8, \(pairs.count) pairs at \(threshold): ONNX Runtime \(accuracies[0]), OpenVINO \(accuracies[1])"
        )
        #expect(pairs.count == 600)
        #expect(abs(accuracies[0] - accuracies[1]) <= 1.0 / Double(pairs.count))
        #expect(accuracies[1] >= 0.95)
    }
}

extension BoundingBox {
    /// The largest distance between corresponding edges of two boxes, in pixels.
    fileprivate func largestEdgeDifference(to other: BoundingBox) -> Double {
        [
            abs(x - other.x), abs(y - other.y),
            abs((x + width) - (other.x + other.width)), abs((y + height) - (other.y + other.height)),
        ].max() ?? 0
    }
}
