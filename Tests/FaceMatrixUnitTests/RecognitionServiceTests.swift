import FaceMatrixCore
import FacePipeline
import FaceStore
import Foundation
import Recognition
import Synchronization
import Testing

/// The service's rules without a database or models: the in-memory store and an analyzer that answers from a
/// table. (The same flows run against PostgreSQL and the real pipeline in the integration tests.)
@Suite struct RecognitionServiceTests {
    /// "Photos" are bytes naming people, one face per byte, the main face first: 1 and 2 are two photos of Ann,
    /// 3 is Bob, 9 is Ann blurred, 8 is Cid blurred.
    struct TableAnalyzer: FaceAnalyzer {
        let model = ModelIdentity(name: "table", version: "1", dimension: 3)

        func analyze(_ bytes: [UInt8], embedding: FaceAnalysisPipeline.EmbeddingScope) async throws -> FaceAnalysis {
            guard !bytes.isEmpty else { throw FaceMatrixError.faceNotDetected }
            let embedded =
                switch embedding {
                case .none: 0
                case .main: 1
                case .first(let count): count
                case .all: bytes.count
                }
            let faces = try bytes.enumerated().map { index, byte in
                try Self.face(byte, at: Double(index) * 200, embedded: index < embedded)
            }
            return FaceAnalysis(imageWidth: 200 * bytes.count, imageHeight: 120, faces: faces, timings: StageTimings())
        }

        static func face(_ byte: UInt8, at x: Double, embedded: Bool) throws -> AnalyzedFace {
            let (vector, sharpness): ([Float], Double) =
                switch byte {
                case 1: ([1, 0, 0], 500)
                case 2: ([0.95, 0.3, 0], 500)
                case 3: ([0, 1, 0], 500)
                case 9: ([1, 0.05, 0], 2)
                case 8: ([0, 0, 1], 2)
                default: throw FaceMatrixError.faceNotDetected
                }
            let landmarks = FaceLandmarks(
                leftEye: Point(x: x + 30, y: 40),
                rightEye: Point(x: x + 70, y: 40),
                nose: Point(x: x + 50, y: 60),
                mouthLeft: Point(x: x + 35, y: 80),
                mouthRight: Point(x: x + 65, y: 80)
            )
            let detection = DetectedFace(
                box: BoundingBox(x: x, y: 0, width: 100, height: 120),
                confidence: 0.99,
                landmarks: landmarks
            )
            let quality = FaceQuality(
                confidence: 0.99,
                faceSize: 100,
                interocularDistance: 40,
                sharpness: sharpness,
                roll: 0,
                yaw: 0,
                frontalScore: 1
            )
            return AnalyzedFace(
                detection: detection,
                quality: quality,
                embedding: embedded ? Embedding(normalizing: vector) : nil
            )
        }
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    let clock = ManualClock()
    let service: RecognitionService
    let ann = try! NewUser.validated(name: "Ann", birthdate: "1990-01-01", email: "ann@example.org")

    init() {
        let clock = clock
        service = RecognitionService(
            analyzer: TableAnalyzer(),
            store: InMemoryFaceRepository(now: { clock.now }),
            configuration: .init(
                policy: IdentificationPolicy(impostorTail: nil, margin: 0.1, fixedThreshold: 0.8),
                enrollmentKeyLifetime: .seconds(60),
                quality: QualityRequirements(minimumSharpness: 10)
            ),
            limiter: AdmissionLimiter(concurrency: 1, queueLimit: 1),
            now: { clock.now }
        )
    }

    @Test func everyFaceIsLookedUpAndOnlyEnrollableStrangersGetAKey() async throws {
        let ann = try await service.addUser(self.ann, face: .image([1]))
        // Ann's second photo, Bob, and blurred Cid: a match, a stranger with a key, a stranger without one.
        let group = try await service.recognizeEveryFace(image: [2, 3, 8])
        #expect(group.facesDetected == 3 && group.faces.count == 3)
        #expect(group.faces[0].user?.id == ann.user.id && group.faces[0].enrollmentKey == nil)
        #expect(group.faces[1].user == nil && group.faces[1].enrollmentKey != nil)
        #expect(group.faces[1].qualityShortfalls.isEmpty)
        #expect(group.faces[2].face.detection.box.x == 400)
        #expect(group.faces[2].user == nil && group.faces[2].enrollmentKey == nil)
        #expect(group.faces[2].qualityShortfalls.count == 1)
        // Bob's key enrols Bob.
        let key = try #require(group.faces[1].enrollmentKey?.id)
        let bob = try NewUser.validated(name: "Bob", birthdate: "1980-01-01", email: nil)
        let created = try await service.addUser(bob, face: .enrollmentKey(key))
        #expect(try await service.recognize(image: [3]).user?.id == created.user.id)
    }

    @Test func theNumberOfFacesLookedUpIsCapped() async throws {
        var configuration = service.configuration
        configuration.maximumFacesPerPhoto = 2
        let capped = RecognitionService(
            analyzer: service.analyzer,
            store: service.store,
            configuration: configuration,
            limiter: service.limiter
        )
        let group = try await capped.recognizeEveryFace(image: [3, 1, 2, 3])
        #expect(group.facesDetected == 4)
        #expect(group.faces.map(\.face.detection.box.x) == [0, 200])
        await #expect(throws: FaceMatrixError.faceNotDetected) { try await capped.recognizeEveryFace(image: []) }
    }

    @Test func unknownFaceGetsAKeyThatEnrollsOnce() async throws {
        let first = try await service.recognize(image: [1])
        #expect(first.user == nil)
        let key = try #require(first.enrollmentKey)
        #expect(key.expiresAt == clock.now.addingTimeInterval(60))
        let record = try await service.addUser(ann, face: .enrollmentKey(key.id))
        #expect(record.faceCount == 1)

        let again = try await service.recognize(image: [2])
        #expect(again.user?.id == record.user.id)
        #expect(again.enrollmentKey == nil)
        await #expect(throws: FaceMatrixError.enrollmentKeyNotFound) {
            try await service.addUser(ann, face: .enrollmentKey(key.id))
        }
        #expect(try await service.recognize(image: [3]).user == nil)
    }

    @Test func anExpiredKeyIsNotFound() async throws {
        let key = try #require(try await service.recognize(image: [1]).enrollmentKey)
        clock.advance(61)
        await #expect(throws: FaceMatrixError.enrollmentKeyNotFound) {
            try await service.addUser(ann, face: .enrollmentKey(key.id))
        }
    }

    @Test func aBlurredFaceIsRefusedAndNothingIsWritten() async throws {
        await #expect {
            try await service.addUser(ann, face: .image([9]))
        } throws: { error in
            guard case .faceQualityTooLow(let reason) = error as? FaceMatrixError else { return false }
            return reason.contains("hold still") && reason.contains("sharpness")
        }
        // A face that enrolment would refuse gets no key, but what to change.
        let unknown = try await service.recognize(image: [9])
        #expect(unknown.enrollmentKey == nil)
        #expect(unknown.qualityShortfalls.count == 1 && unknown.qualityShortfalls[0].contains("hold still"))
        #expect(try await service.store.statistics(model: service.model).users == 0)
    }

    @Test func aStrangersFaceIsNotAddedToAUser() async throws {
        let record = try await service.addUser(ann, face: .image([1]))
        await #expect {
            try await service.addFace(toUser: record.user.id, face: .image([3]))
        } throws: { error in
            guard case .faceMismatch(let reason) = error as? FaceMatrixError else { return false }
            return reason.contains("below the 1:1 threshold 0.8")
        }
        // Her own second photo is added.
        #expect(try await service.addFace(toUser: record.user.id, face: .image([2])).faceCount == 2)
    }

    @Test func theSameFaceCannotBeEnrolledTwice() async throws {
        _ = try await service.addUser(ann, face: .image([1]))
        let bob = try NewUser.validated(name: "Bob", birthdate: "1980-05-05", email: nil)
        await #expect(throws: FaceMatrixError.userAlreadyExists("this face is already enrolled")) {
            try await service.addUser(bob, face: .image([2]))
        }
        let created = try await service.addUser(bob, face: .image([3]))
        await #expect(throws: FaceMatrixError.userAlreadyExists("this face belongs to another enrolled user")) {
            try await service.addFace(toUser: created.user.id, face: .image([1]))
        }
        await #expect(
            throws: FaceMatrixError.validationFailed(field: "threshold", reason: "must be between 0.3 and 0.95")
        ) {
            try await service.recognize(image: [1], threshold: 0.99)
        }
    }
}

@Suite struct UserIDTests {
    @Test(arguments: [
        ("usr_16a2655acbc346e693a10ce2837f5dcd", true), ("usr_unknown", false), ("usr_a\u{0}b", false),
        ("usr_16A2655ACBC346E693A10CE2837F5DCD", false), ("usr_16a2655acbc346e693a10ce2837f5dcdx", false),
        (String(repeating: "a", count: 100_000), false), ("", false),
    ])
    func onlyTheShapeOfAnIssuedIDIsLookedUp(id: String, wellFormed: Bool) {
        #expect(RecognitionService.isWellFormedUserID(id) == wellFormed)
    }
}
