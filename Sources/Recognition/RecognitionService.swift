public import FaceMatrixCore
public import FacePipeline
public import FaceStore
public import Foundation
import Metrics

/// Anything that turns photo bytes into analysed faces: the face pipeline, or a stand-in in tests.
public protocol FaceAnalyzer: Sendable {
    var model: ModelIdentity { get }
    func analyze(_ bytes: [UInt8], embedding: FacePipeline.EmbeddingScope) async throws -> FaceAnalysis
}

extension FacePipeline: FaceAnalyzer {
    public var model: ModelIdentity {
        ModelIdentity(name: modelName, version: modelVersion, dimension: embedder.dimension)
    }
}

/// The product's use cases: recognise a face, enrol a person (from an enrollment key or a photo), add a face,
/// look up and erase a user.
public struct RecognitionService: Sendable {
    public struct Configuration: Sendable {
        public var policy: IdentificationPolicy
        /// How long an unmatched face is kept for its owner to enrol.
        public var enrollmentKeyLifetime: Duration
        /// The thresholds a caller may ask for instead of the calibrated one.
        public var allowedThresholds: ClosedRange<Double>
        public var quality: QualityRequirements
        /// 1:1 verification: same person when the similarity reaches this (the model's calibrated threshold; for an
        /// uncalibrated model, the operator's fixed threshold).
        public var verificationThreshold: Double

        public init(
            policy: IdentificationPolicy, enrollmentKeyLifetime: Duration = .seconds(15 * 60),
            allowedThresholds: ClosedRange<Double> = 0.3...0.95, quality: QualityRequirements = QualityRequirements(),
            verificationThreshold: Double? = nil
        ) {
            self.policy = policy
            self.verificationThreshold = verificationThreshold ?? policy.fixedThreshold ?? 1
            self.enrollmentKeyLifetime = enrollmentKeyLifetime
            self.allowedThresholds = allowedThresholds
            self.quality = quality
        }
    }

    public let analyzer: any FaceAnalyzer
    public let store: any FaceStore
    public let configuration: Configuration
    public let limiter: AdmissionLimiter
    let now: @Sendable () -> Date

    public init(
        analyzer: any FaceAnalyzer, store: any FaceStore, configuration: Configuration, limiter: AdmissionLimiter,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.analyzer = analyzer
        self.store = store
        self.configuration = configuration
        self.limiter = limiter
        self.now = now
    }

    public var model: ModelIdentity { analyzer.model }

    // MARK: Recognise

    public struct Recognition: Sendable {
        public var decision: IdentificationDecision
        /// The matched user, when there is one.
        public var user: User?
        public var face: AnalyzedFace
        public var facesDetected: Int
        /// The similarity a match needed.
        public var threshold: Double
        /// The open-set FAR `threshold` was set for; nil when a fixed threshold (the operator's or the caller's)
        /// was used.
        public var targetFalseAcceptRate: Double?
        /// Enrolled users of this model.
        public var gallerySize: Int
        /// For an unmatched face: the key its owner can enrol with, and when it expires.
        public var enrollmentKey: (id: String, expiresAt: Date)?
        public var timings: StageTimings
    }

    /// Finds who is in the photo. No face → `.faceNotDetected`; nobody matching → an enrollment key.
    public func recognise(image: [UInt8], threshold override: Double? = nil) async throws -> Recognition {
        if let override, !configuration.allowedThresholds.contains(override) {
            let range = configuration.allowedThresholds
            throw FaceMatrixError.validationFailed(
                field: "threshold", reason: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        let (analysis, face, embedding) = try await analyzeMainFace(image)
        let search = try await store.searchUsers(similarTo: embedding, model: model)
        let decision = configuration.policy.decide(
            best: search.best, runnerUp: search.runnerUp, gallerySize: search.gallerySize, override: override)
        let policy = configuration.policy
        let threshold = override ?? policy.threshold(forGallerySize: search.gallerySize)
        let fixed = override != nil || policy.fixedThreshold != nil
        var recognition = Recognition(
            decision: decision, user: nil, face: face, facesDetected: analysis.faces.count, threshold: threshold,
            targetFalseAcceptRate: fixed ? nil : policy.targetFalseAcceptRate, gallerySize: search.gallerySize,
            enrollmentKey: nil, timings: analysis.timings)
        switch decision {
        case .match(let candidate):
            // The user may have been erased between the search and now; then they are not a match any more.
            if let record = try await store.user(id: candidate.userID) {
                recognition.user = record.user
                return recognition
            }
            recognition.decision = .noMatch(best: nil)
        case .noMatch:
            break
        }
        let key = "req-" + randomHex(bytes: 16)
        let expiresAt = now().addingTimeInterval(configuration.enrollmentKeyLifetime.seconds)
        try await store.saveEnrollmentKey(
            key, face: EnrolledFace(embedding: embedding, detection: face.detection, quality: face.quality),
            model: model, expiresAt: expiresAt)
        recognition.enrollmentKey = (key, expiresAt)
        return recognition
    }

    // MARK: Verify

    /// The answer to "is this the person with this id?" (1:1 verification).
    public struct Verification: Sendable {
        public var userID: String
        public var isSamePerson: Bool
        /// The best similarity between the photo's main face and the user's faces.
        public var similarity: Double
        public var threshold: Double
        public var face: AnalyzedFace
        public var facesDetected: Int
        public var timings: StageTimings
    }

    /// Compares the photo's main face with every face of user `id`. Unknown user → `.userNotFound` (before the
    /// photo is analysed); no face → `.faceNotDetected`.
    public func verify(image: [UInt8], userID id: String) async throws -> Verification {
        guard try await existingUser(id) != nil else { throw FaceMatrixError.userNotFound }
        let (analysis, face, embedding) = try await analyzeMainFace(image)
        // A user with no face of this model (enrolled under another embedder) cannot be this person by this model.
        let similarity = try await store.bestSimilarity(of: embedding, toUser: id, model: model) ?? -1
        let threshold = configuration.verificationThreshold
        return Verification(
            userID: id, isSamePerson: similarity >= threshold, similarity: similarity, threshold: threshold,
            face: face, facesDetected: analysis.faces.count, timings: analysis.timings)
    }

    // MARK: Enrol

    public enum FaceInput: Sendable {
        case enrollmentKey(String)
        case image([UInt8])
    }

    /// Creates a user from an enrollment key (consumed) or a photo. A face that already belongs to someone, or
    /// that is not good enough, is refused and nothing is written.
    public func addUser(_ user: NewUser, face input: FaceInput) async throws -> UserRecord {
        let source = try await faceSource(for: input)
        let policy = configuration.policy
        let quality = configuration.quality
        return try await store.createUser(user, face: source, model: model) { face, search in
            try Self.requireQuality(face.quality, quality)
            if let best = search.best, best.similarity >= policy.duplicateThreshold(forGallerySize: search.gallerySize)
            {
                throw FaceMatrixError.userAlreadyExists("this face is already enrolled")
            }
        }
    }

    /// Adds a face to an existing user; refused when the face matches another user better than this one.
    public func addFace(toUser id: String, face input: FaceInput) async throws -> UserRecord {
        guard try await existingUser(id) != nil else { throw FaceMatrixError.userNotFound }
        let source = try await faceSource(for: input)
        let policy = configuration.policy
        let quality = configuration.quality
        return try await store.addFace(toUser: id, face: source, model: model) { face, search, own in
            try Self.requireQuality(face.quality, quality)
            let threshold = policy.threshold(forGallerySize: search.gallerySize)
            let others = [search.best, search.runnerUp].compactMap { $0 }.filter { $0.userID != id }
            if let other = others.first, other.similarity >= threshold, other.similarity > (own ?? -1) {
                throw FaceMatrixError.userAlreadyExists("this face belongs to another enrolled user")
            }
        }
    }

    public func user(id: String) async throws -> UserRecord {
        guard let record = try await existingUser(id) else { throw FaceMatrixError.userNotFound }
        return record
    }

    /// Erases the user and every face of theirs.
    public func deleteUser(id: String) async throws {
        guard Self.isWellFormedUserID(id), try await store.deleteUser(id: id) else {
            throw FaceMatrixError.userNotFound
        }
    }

    /// User ids are "usr_" and 32 hex digits; anything else (a NUL byte, 100 KB) cannot exist, so it is answered
    /// as unknown without reaching the database.
    public static func isWellFormedUserID(_ id: String) -> Bool {
        id.utf8.count == 36 && id.hasPrefix("usr_") && id.utf8.dropFirst(4).allSatisfy { $0.isHexDigit }
    }

    private func existingUser(_ id: String) async throws -> UserRecord? {
        guard Self.isWellFormedUserID(id) else { return nil }
        return try await store.user(id: id)
    }

    // MARK: Helpers

    private func faceSource(for input: FaceInput) async throws -> FaceSource {
        switch input {
        case .enrollmentKey(let key):
            // Keys are "req-" and 32 hex digits; anything else cannot exist, so it is not looked up.
            guard key.hasPrefix("req-"), key.count == 36 else { throw FaceMatrixError.enrollmentKeyNotFound }
            return .enrollmentKey(key)
        case .image(let bytes):
            let (_, face, embedding) = try await analyzeMainFace(bytes)
            return .face(EnrolledFace(embedding: embedding, detection: face.detection, quality: face.quality))
        }
    }

    private func analyzeMainFace(_ bytes: [UInt8]) async throws -> (FaceAnalysis, AnalyzedFace, Embedding) {
        let analysis = try await limiter.run { try await analyzer.analyze(bytes, embedding: .main) }
        for (stage, milliseconds) in analysis.timings.milliseconds {
            Timer(label: "facematrix_pipeline_stage_seconds", dimensions: [("stage", stage)])
                .recordNanoseconds(Int64(milliseconds * 1_000_000))
        }
        guard let face = analysis.faces.first, let embedding = face.embedding else {
            throw FaceMatrixError.faceNotDetected
        }
        return (analysis, face, embedding)
    }

    static func requireQuality(_ quality: FaceQuality, _ requirements: QualityRequirements) throws {
        let shortfalls = requirements.shortfalls(of: quality)
        if !shortfalls.isEmpty { throw FaceMatrixError.faceQualityTooLow(shortfalls.joined(separator: "; ")) }
    }
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }
}
