import FaceMatrixCore
import FaceMatrixServer
import FaceMatrixTestSupport
import FacePipeline
import Foundation
import Testing

/// Bad uploads give their typed error, quickly, and leave the pipeline healthy.
@Suite struct BadImageTests {
    static let cases: [(String, [UInt8], FaceMatrixError)] = {
        let jpeg = try! TestData.bytes("face_recognition/examples/obama.jpg")
        var random = SplitMix64(state: 42)
        return [
            ("empty", [], .invalidImage("the image is empty")),
            ("truncated JPEG", Array(jpeg.prefix(jpeg.count / 2)), .invalidImage("the image data is truncated")),
            ("random bytes", random.bytes(4096), .invalidImage("not a JPEG or PNG image")),
            (
                "PNG header claiming 100000×100000", Encoders.pngHeaderOnly(width: 100_000, height: 100_000),
                .imageTooLarge("100000×100000 pixels exceeds the pixel limit of 40000000 pixels")
            ),
            (
                "text file named .jpg", Array("hello, this is not a photo\n".utf8),
                .invalidImage("not a JPEG or PNG image")
            ),
        ]
    }()

    @Test(arguments: 0..<cases.count)
    func badInputGivesItsTypedError(index: Int) async throws {
        let (name, bytes, expected) = Self.cases[index]
        await #expect(throws: expected, "\(name)") {
            try await TestModels.pipeline.analyze(bytes)
        }
    }

    @Test func aPhotoOverTheByteLimitIsRejectedBeforeDecoding() async throws {
        var settings = PipelineSettings()
        settings.modelDirectory = TestModels.directory
        settings.imageLimits.maxBytes = 50_000
        let pipeline = try settings.makePipeline(environment: TestModels.environment).0
        let bytes = try TestData.bytes("face_recognition/examples/obama.jpg")
        await #expect(throws: FaceMatrixError.imageTooLarge("the file exceeds the byte limit of 50000 bytes")) {
            try await pipeline.analyze(bytes)
        }
    }

    @Test func noiseHasNoFaceAndThePipelineStaysHealthy() async throws {
        let noise = try await TestModels.pipeline.analyze(try TestData.bytes("facenet-pytorch/test_images/noise/1.jpg"))
        #expect(noise.faces.isEmpty)
        for (_, bytes, _) in Self.cases { _ = try? await TestModels.pipeline.analyze(bytes) }
        let after = try await TestModels.pipeline.analyze(try TestData.bytes("face_recognition/examples/obama.jpg"))
        #expect(after.faces.count == 1)
    }
}
