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
        /// Faces of a group photo looked up at most (the most prominent ones); each costs an embedding and a search.
        public var maximumFacesPerPhoto: Int

        public static let defaultMaximumFacesPerPhoto = 10
        /// How long an unmatched face is kept for an enrolment without a second upload.
        public static let defaultEnrollmentKeyLifetime: Duration = .seconds(15 * 60)
        /// The per-request thresholds a caller may ask for.
        public static let defaultAllowedThresholds: ClosedRange<Double> = 0.3...0.95

        public init(
            policy: IdentificationPolicy, enrollmentKeyLifetime: Duration = defaultEnrollmentKeyLifetime,
            allowedThresholds: ClosedRange<Double> = defaultAllowedThresholds,
            quality: QualityRequirements = QualityRequirements(),
            verificationThreshold: Double? = nil, maximumFacesPerPhoto: Int = defaultMaximumFacesPerPhoto
        ) {
            self.maximumFacesPerPhoto = max(maximumFacesPerPhoto, 1)
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
        /// For an unmatched face good enough to enrol: the key its owner can enrol with, and when it expires.
        public var enrollmentKey: (id: String, expiresAt: Date)?
        /// For an unmatched face: the enrolment quality minimums it misses (then it gets no key); empty otherwise.
        public var qualityShortfalls: [String] = []
        public var timings: StageTimings
    }

    /// Finds who is in the photo. No face → `.faceNotDetected`; nobody matching → an enrollment key when the face
    /// is good enough to enrol (a key that enrolment would refuse helps nobody), else what it misses.
    public func recognise(image: [UInt8], threshold override: Double? = nil) async throws -> Recognition {
        try checkThreshold(override)
        let (analysis, face, embedding) = try await analyzeMainFace(image)
        let lookup = try await lookUp(embedding, override: override)
        var recognition = Recognition(
            decision: lookup.decision, user: lookup.user, face: face, facesDetected: analysis.faces.count,
            threshold: threshold(forGallerySize: lookup.gallerySize, override: override),
            targetFalseAcceptRate: targetFalseAcceptRate(override: override), gallerySize: lookup.gallerySize,
            enrollmentKey: nil, timings: analysis.timings)
        if lookup.user == nil {
            (recognition.enrollmentKey, recognition.qualityShortfalls) = try await offerEnrollment(face, embedding)
        }
        return recognition
    }

    /// The enrolled user whose face the photo's main face already is (similarity at or above the duplicate
    /// threshold that refuses enrolling it again), with the similarity; nil when there is none. Issues no key:
    /// this is for tools that must tell "already enrolled" from "a new person" (`facematrix enrol-folder`).
    public func enrolledUser(matching image: [UInt8]) async throws -> (user: User, similarity: Double)? {
        let (_, _, embedding) = try await analyzeMainFace(image)
        let search = try await store.searchUsers(similarTo: embedding, model: model)
        guard let best = search.best,
            best.similarity >= configuration.policy.duplicateThreshold(forGallerySize: search.gallerySize),
            let record = try await store.user(id: best.userID)
        else { return nil }
        return (record.user, best.similarity)
    }

    /// One face of a group photo and who it is.
    public struct FaceIdentification: Sendable {
        public var face: AnalyzedFace
        public var decision: IdentificationDecision
        /// The matched user, when there is one.
        public var user: User?
        /// For an unmatched face good enough to enrol: the key its owner can enrol with.
        public var enrollmentKey: (id: String, expiresAt: Date)?
        /// Why an unmatched face could not be enrolled (the enrolment quality minimums it misses); empty otherwise.
        public var qualityShortfalls: [String]
    }

    /// Every face of a group photo, looked up one by one.
    public struct GroupRecognition: Sendable {
        /// The most prominent faces first (the main face leads), at most the requested number.
        public var faces: [FaceIdentification]
        /// All faces found, including those beyond the requested number.
        public var facesDetected: Int
        public var threshold: Double
        public var targetFalseAcceptRate: Double?
        public var gallerySize: Int
        public var timings: StageTimings
    }

    /// Finds who each of the photo's most prominent faces is (main face first; at most
    /// `configuration.maximumFacesPerPhoto`). Unmatched faces
    /// that meet the enrolment quality minimums get an enrollment key each; the others say what they miss,
    /// because a key that enrolment would refuse helps nobody. No face → `.faceNotDetected`.
    public func recogniseEveryFace(image: [UInt8], threshold override: Double? = nil) async throws
        -> GroupRecognition
    {
        try checkThreshold(override)
        let analysis = try await analyze(image, embedding: .first(configuration.maximumFacesPerPhoto))
        let embedded = analysis.faces.compactMap { face in face.embedding.map { (face, $0) } }
        guard !embedded.isEmpty else { throw FaceMatrixError.faceNotDetected }
        var faces: [FaceIdentification] = []
        var gallerySize = 0
        for (face, embedding) in embedded {
            let lookup = try await lookUp(embedding, override: override)
            gallerySize = lookup.gallerySize
            var identification = FaceIdentification(
                face: face, decision: lookup.decision, user: lookup.user, enrollmentKey: nil, qualityShortfalls: [])
            if lookup.user == nil {
                (identification.enrollmentKey, identification.qualityShortfalls) = try await offerEnrollment(
                    face, embedding)
            }
            faces.append(identification)
        }
        return GroupRecognition(
            faces: faces, facesDetected: analysis.faces.count,
            threshold: threshold(forGallerySize: gallerySize, override: override),
            targetFalseAcceptRate: targetFalseAcceptRate(override: override), gallerySize: gallerySize,
            timings: analysis.timings)
    }

    private func checkThreshold(_ override: Double?) throws {
        if let override, !configuration.allowedThresholds.contains(override) {
            let range = configuration.allowedThresholds
            throw FaceMatrixError.validationFailed(
                field: "threshold", reason: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    private func threshold(forGallerySize size: Int, override: Double?) -> Double {
        override ?? configuration.policy.threshold(forGallerySize: size)
    }

    /// nil when a fixed threshold (the operator's or the caller's) decides instead of the target.
    private func targetFalseAcceptRate(override: Double?) -> Double? {
        let policy = configuration.policy
        return override != nil || policy.fixedThreshold != nil ? nil : policy.targetFalseAcceptRate
    }

    /// The open-set decision for one embedding, and the matched user as stored now.
    private func lookUp(_ embedding: Embedding, override: Double?) async throws
        -> (decision: IdentificationDecision, user: User?, gallerySize: Int)
    {
        let search = try await store.searchUsers(similarTo: embedding, model: model)
        let decision = configuration.policy.decide(
            best: search.best, runnerUp: search.runnerUp, gallerySize: search.gallerySize, override: override)
        if case .match(let candidate) = decision {
            // The user may have been erased between the search and now; then they are not a match any more.
            guard let record = try await store.user(id: candidate.userID) else {
                return (.noMatch(best: nil), nil, search.gallerySize)
            }
            return (decision, record.user, search.gallerySize)
        }
        return (decision, nil, search.gallerySize)
    }

    /// For an unmatched face: an enrollment key when it meets the enrolment quality minimums, else what it misses
    /// (a key that enrolment would refuse helps nobody).
    private func offerEnrollment(_ face: AnalyzedFace, _ embedding: Embedding) async throws
        -> (key: (id: String, expiresAt: Date)?, shortfalls: [String])
    {
        let shortfalls = configuration.quality.shortfalls(of: face.quality)
        guard shortfalls.isEmpty else { return (nil, shortfalls) }
        return (try await issueEnrollmentKey(for: face, embedding: embedding), [])
    }

    /// Keeps an unmatched face for `enrollmentKeyLifetime` so that its owner can enrol without uploading again.
    private func issueEnrollmentKey(for face: AnalyzedFace, embedding: Embedding) async throws
        -> (id: String, expiresAt: Date)
    {
        let key = "req-" + randomHex(bytes: 16)
        let expiresAt = now().addingTimeInterval(configuration.enrollmentKeyLifetime.seconds)
        try await store.saveEnrollmentKey(
            key, face: EnrolledFace(embedding: embedding, detection: face.detection, quality: face.quality),
            model: model, expiresAt: expiresAt)
        return (key, expiresAt)
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
        let verification = configuration.verificationThreshold
        return try await store.addFace(toUser: id, face: source, model: model) { face, search, own in
            try Self.requireQuality(face.quality, quality)
            let threshold = policy.threshold(forGallerySize: search.gallerySize)
            let others = [search.best, search.runnerUp].compactMap { $0 }.filter { $0.userID != id }
            if let other = others.first, other.similarity >= threshold, other.similarity > (own ?? -1) {
                throw FaceMatrixError.userAlreadyExists("this face belongs to another enrolled user")
            }
            // The same photo again (re-encoded, resized) adds nothing but weight to the gallery.
            if let own, own >= Self.samePhotoSimilarity {
                throw FaceMatrixError.userAlreadyExists("this face is already enrolled for this user")
            }
            // The new face must be the same person (1:1), or a stranger's photo would become theirs.
            if let own, own < verification {
                throw FaceMatrixError.faceMismatch(
                    "similarity \(Self.rounded(own)) to their best face is below the 1:1 threshold \(Self.rounded(verification))"
                )
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

    /// Enrollment keys are "req-" and 32 lowercase hex digits, as `issueEnrollmentKey` makes them.
    public static func isWellFormedKey(_ key: String) -> Bool {
        key.utf8.count == 36 && key.hasPrefix("req-") && key.utf8.dropFirst(4).allSatisfy { $0.isHexDigit }
    }

    private func existingUser(_ id: String) async throws -> UserRecord? {
        guard Self.isWellFormedUserID(id) else { return nil }
        return try await store.user(id: id)
    }

    // MARK: Helpers

    private func faceSource(for input: FaceInput) async throws -> FaceSource {
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

    private func analyze(_ bytes: [UInt8], embedding scope: FacePipeline.EmbeddingScope) async throws
        -> FaceAnalysis
    {
        // Every use case needs the store after the analysis; while it is known to be down, refuse first.
        try store.checkAvailable()
        let analysis = try await limiter.run { try await analyzer.analyze(bytes, embedding: scope) }
        for (stage, milliseconds) in analysis.timings.milliseconds {
            Timer(label: "facematrix_pipeline_stage_seconds", dimensions: [("stage", stage)])
                .recordNanoseconds(Int64(milliseconds * 1_000_000))
        }
        return analysis
    }

    private func analyzeMainFace(_ bytes: [UInt8]) async throws -> (FaceAnalysis, AnalyzedFace, Embedding) {
        let analysis = try await analyze(bytes, embedding: .main)
        guard let face = analysis.faces.first, let embedding = face.embedding else {
            throw FaceMatrixError.faceNotDetected
        }
        return (analysis, face, embedding)
    }

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
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }
}
