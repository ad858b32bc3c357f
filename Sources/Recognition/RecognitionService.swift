import FaceInference
public import FaceMatrixCore
import FacePipeline
public import FaceStore
public import Foundation
import Logging
import Metrics

/// The product's use cases: recognise a face, enrol a person (from an enrollment key or a photo), add a face,
/// look up and erase a user.
///
/// A value of `Sendable` parts: one instance serves every request concurrently. Similarities are cosine similarities of
/// the model's embeddings, −1…1; failures are `FaceMatrixError`s, each with its HTTP status and error_code.
public struct RecognitionService: Sendable {
    /// How the service decides and enrols: the identification policy, the 1:1 threshold, the enrolment quality minimums
    /// and the enrollment keys' lifetime.
    public struct Configuration: Sendable {
        /// The open-set identification rule: the match threshold for each gallery size (from the target FAR), the
        /// margin, and the duplicate threshold enrolment refuses at.
        public var policy: IdentificationPolicy
        /// How long an unmatched face is kept for its owner to enrol.
        public var enrollmentKeyLifetime: Duration
        /// The thresholds a caller may ask for instead of the calibrated one.
        public var allowedThresholds: ClosedRange<Double>
        /// The minimums a face must meet to be enrolled, and to be offered an enrollment key.
        public var quality: QualityRequirements
        /// 1:1 verification: same person when the similarity reaches this (the model's calibrated threshold; for an
        /// uncalibrated model, the operator's fixed threshold).
        public var verificationThreshold: Double
        /// Faces of a group photo looked up at most (the most prominent ones); each costs an embedding and a search.
        public var maximumFacesPerPhoto: Int

        /// Faces of a group photo looked up at most, by default.
        public static let defaultMaximumFacesPerPhoto = 10
        /// How long an unmatched face is kept for an enrolment without a second upload.
        public static let defaultEnrollmentKeyLifetime: Duration = .seconds(15 * 60)
        /// The per-request thresholds a caller may ask for.
        public static let defaultAllowedThresholds: ClosedRange<Double> = 0.3...0.95

        /// - Parameters:
        ///   - verificationThreshold: the model's calibrated 1:1 threshold; nil takes the policy's fixed threshold, or
        ///     else 1, at which practically nobody is verified.
        ///   - maximumFacesPerPhoto: raised to 1 when lower.
        public init(
            policy: IdentificationPolicy,
            enrollmentKeyLifetime: Duration = defaultEnrollmentKeyLifetime,
            allowedThresholds: ClosedRange<Double> = defaultAllowedThresholds,
            quality: QualityRequirements = QualityRequirements(),
            verificationThreshold: Double? = nil,
            maximumFacesPerPhoto: Int = defaultMaximumFacesPerPhoto
        ) {
            self.maximumFacesPerPhoto = max(maximumFacesPerPhoto, 1)
            self.policy = policy
            self.verificationThreshold = verificationThreshold ?? policy.fixedThreshold ?? 1
            self.enrollmentKeyLifetime = enrollmentKeyLifetime
            self.allowedThresholds = allowedThresholds
            self.quality = quality
        }
    }

    /// Turns photos into faces and embeddings: the pipeline, or a stand-in in tests.
    public let analyzer: any FaceAnalyzer
    /// The gallery, the users and the pending enrollment keys.
    public let store: any FaceRepository
    /// The thresholds and enrolment rules.
    public let configuration: Configuration
    /// Bounds concurrent analyses; refuses a photo that would wait too long (503) before any work is done on it.
    public let limiter: AdmissionLimiter
    let now: @Sendable () -> Date

    /// - Parameter now: the clock enrollment keys' expiry is set by (a controllable one in tests).
    public init(
        analyzer: any FaceAnalyzer,
        store: any FaceRepository,
        configuration: Configuration,
        limiter: AdmissionLimiter,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.analyzer = analyzer
        self.store = store
        self.configuration = configuration
        self.limiter = limiter
        self.now = now
    }

    /// The embedder's identity: every search and enrolment stays among the faces of this model.
    public var model: ModelIdentity { analyzer.model }

    func faceSource(for input: FaceInput) async throws -> FaceSource {
        switch input {
        case .enrollmentKey(let key):
            // Keys are "req-" and 32 hex digits; anything else (a NUL byte) cannot exist, so it is not looked up.
            guard Self.isWellFormedKey(key) else { throw FaceMatrixError.enrollmentKeyNotFound }
            return .enrollmentKey(key)
        case .image(let bytes):
            let (_, face, embedding) = try await analyzeMainFace(bytes)
            return .face(EnrolledFace(embedding: embedding, detection: face.detection, quality: face.quality))
        }
    }

    func analyze(_ bytes: [UInt8], embedding scope: FaceAnalysisPipeline.EmbeddingScope) async throws
        -> FaceAnalysis
    {
        // Every use case needs the store after the analysis; while it is known to be down, refuse first.
        try store.checkAvailable()
        let analysis: FaceAnalysis
        do {
            analysis = try await limiter.run { try await analyzer.analyze(bytes, embedding: scope) }
        } catch InferenceError.unavailable(let reason) {
            // A remote inference server down or restarting: the client may retry, as when the store is down.
            Self.logger.warning("inference is unavailable", metadata: ["reason": "\(reason)"])
            throw FaceMatrixError.dependencyUnavailable("inference", retryAfterSeconds: Self.inferenceRetryAfterSeconds)
        }
        for (stage, milliseconds) in analysis.timings.milliseconds {
            Timer(label: "facematrix_pipeline_stage_seconds", dimensions: [("stage", stage)])
                .recordNanoseconds(Int64(milliseconds * 1_000_000))
        }
        return analysis
    }

    func analyzeMainFace(_ bytes: [UInt8]) async throws -> (FaceAnalysis, AnalyzedFace, Embedding) {
        let analysis = try await analyze(bytes, embedding: .main)
        guard let face = analysis.faces.first, let embedding = face.embedding else {
            throw FaceMatrixError.faceNotDetected
        }
        return (analysis, face, embedding)
    }

    /// Reports what the answers cannot say: why inference failed (the client only learns that it may retry).
    static let logger = Logger(label: "facematrix.inference")

    /// Seconds a client is told to wait when the inference server cannot be reached: about how long Triton takes
    /// to load these models after a restart.
    static let inferenceRetryAfterSeconds = 5

    /// Two photos of one person taken apart score well below this; one photo re-encoded or resized scores above.
    static let samePhotoSimilarity = 0.97

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

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
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }
}
