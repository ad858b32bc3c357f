import CImageCodecs
import FaceMatrixCore
import FaceMatrixEvaluation
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import ImageDecoding
import Testing

/// Embeddings on real photos: same people close, different people apart, robust to how the photo is stored.
@Suite struct FaceRecognitionTests {
    /// Photos showing exactly one named person.
    static let portraits: [LabeledPhoto] = try! LabeledPhoto.labeledSets().filter {
        $0.faces == 1 && $0.identity != "none" && $0.identity != "multiple" && !$0.identity.contains(";")
    }

    @Test func samePeopleAreMoreSimilarThanDifferentPeople() async throws {
        var embeddings: [(identity: String, embedding: Embedding)] = []
        for photo in Self.portraits {
            let analysis = try await TestModels.pipeline.analyze(try photo.bytes, embedding: .main)
            let embedding = try #require(analysis.faces.first?.embedding, "\(photo.path)")
            embeddings.append((photo.identity, embedding))
        }
        var same: [Double] = []
        var different: [Double] = []
        for i in embeddings.indices {
            for j in embeddings.indices where j > i {
                let similarity = embeddings[i].embedding.similarity(to: embeddings[j].embedding)
                if embeddings[i].identity == embeddings[j].identity {
                    same.append(similarity)
                } else {
                    different.append(similarity)
                }
            }
        }
        let auc = VerificationScores(genuine: same, impostor: different).areaUnderCurve
        print(
            "labelled photos: \(embeddings.count) faces, \(same.count) same-person pairs (min \(same.min()!)),"
                + " \(different.count) different-person pairs (max \(different.max()!)), ROC AUC \(auc)"
        )
        #expect(same.count >= 100)
        #expect(auc >= 0.99)
    }

    /// A photo stored sideways with an EXIF tag saying so (as phones store them) must give the same face and
    /// embedding as the upright photo. The sideways copy is made the way cameras and `jpegtran` make one, by moving
    /// the JPEG's DCT blocks without re-encoding, so only the orientation differs.
    @Test(arguments: [(3, TJXOP_ROT180), (6, TJXOP_ROT270), (8, TJXOP_ROT90), (5, TJXOP_TRANSPOSE)])
    func exifRotatedCopyGivesTheSameEmbedding(orientation: Int, storedAs operation: TJXOP) async throws {
        // Cut to whole blocks first, so that the upright and the sideways copy show exactly the same pixels.
        let upright = try Encoders.losslesslyTransformed(
            try TestData.bytes("face_recognition/examples/obama.jpg"),
            operation: TJXOP_NONE,
            wholeBlocksOnly: true
        )
        let sideways = Encoders.insertingExifOrientation(
            UInt16(orientation),
            into: try Encoders.losslesslyTransformed(upright, operation: operation),
            bigEndian: orientation % 2 == 0
        )

        let a = try await TestModels.pipeline.analyze(upright, embedding: .main)
        let b = try await TestModels.pipeline.analyze(sideways, embedding: .main)
        #expect(a.imageWidth == b.imageWidth && a.imageHeight == b.imageHeight)
        let similarity = try #require(a.faces.first?.embedding).similarity(to: try #require(b.faces.first?.embedding))
        print("EXIF orientation \(orientation): cosine to upright \(similarity)")
        #expect(similarity >= 0.99)
        let boxA = try #require(a.faces.first).detection.box
        let boxB = try #require(b.faces.first).detection.box
        #expect(boxA.intersectionOverUnion(with: boxB) >= 0.95)
    }

    @Test func batchedEmbeddingsEqualSingleOnes() async throws {
        let bytes = try TestData.bytes("facenet-pytorch/multiface.jpg")
        let all = try await TestModels.pipeline.analyze(bytes, embedding: .all)
        let largest = try await TestModels.pipeline.analyze(bytes, embedding: .main)
        #expect(all.faces.count == 6)
        #expect(all.faces.allSatisfy { $0.embedding != nil })
        #expect(largest.faces.dropFirst().allSatisfy { $0.embedding == nil })
        let batched = try #require(all.faces.first?.embedding)
        let single = try #require(largest.faces.first?.embedding)
        #expect(batched.similarity(to: single) > 0.9999)
        #expect(batched.dimension == 256)
        let norm = batched.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) < 1e-5)
    }

    /// Quality sizes are in the photo's pixels also when the photo was reduced for detection (a PNG has no scaled
    /// decoding): the same face six times larger reports a face six times larger. They were once divided by the
    /// decode scale only, and a large PNG's face looked `reduction` times too small to enrol.
    @Test func qualitySizesAreInThePhotosPixelsAfterAReduction() async throws {
        let photo = try ImageDecoder().decode(TestData.bytes("face_recognition/examples/obama-240p.jpg")).image
        let factor = 6
        let large = ImageMath.remapped(photo, width: photo.width * factor, height: photo.height * factor) { x, y in
            (x / factor, y / factor)
        }
        let png = try Encoders.png(large.pixels, width: large.width, height: large.height, options: .init())
        let small = try #require(
            try await TestModels.pipeline.analyze(
                try TestData.bytes("face_recognition/examples/obama-240p.jpg"),
                embedding: .none
            ).faces.first
        )
        let big = try #require(try await TestModels.pipeline.analyze(png, embedding: .none).faces.first)
        #expect(max(large.width, large.height) > 2 * 1280, "the photo must be reduced for this test to mean anything")
        let ratio = big.quality.faceSize / small.quality.faceSize
        #expect(abs(ratio - Double(factor)) < 0.15 * Double(factor), "face size ratio \(ratio)")
        let eyes = big.quality.interocularDistance / small.quality.interocularDistance
        #expect(abs(eyes - Double(factor)) < 0.15 * Double(factor), "eye distance ratio \(eyes)")
    }
}
