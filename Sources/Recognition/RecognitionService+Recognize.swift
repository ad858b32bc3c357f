public import FaceMatrixCore
public import FacePipeline
import FaceStore
public import Foundation

/// Open-set identification: who is in the photo, or an enrollment key for a stranger.
extension RecognitionService {
    /// The answer to "who is this?" for the photo's main face: open-set identification against the gallery.
    public struct Identification: Sendable {
        /// Match or no match, with the best candidate either way when there is one.
        public var decision: IdentificationDecision
        /// The matched user, when there is one.
        public var user: User?
        /// The photo's main face, the one looked up.
        public var face: AnalyzedFace
        /// Every face found in the photo, the main face included.
        public var facesDetected: Int
        /// The similarity (−1…1) a match needed: the caller's, or the policy's for this gallery size.
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
        /// How long each stage of the pipeline took.
        public var timings: StageTimings
    }

    /// Finds who is in the photo. No face → `.faceNotDetected`; nobody matching → an enrollment key when the face
    /// is good enough to enrol (a key that enrolment would refuse helps nobody), else what it misses.
    ///
    /// - Parameter override: a caller's threshold in place of the policy's; it must lie in
    ///   `configuration.allowedThresholds`, and the margin still applies.
    /// - Throws: `.validationFailed` (400/605) for an override outside the allowed range; `.faceNotDetected` (400/601);
    ///   `.invalidImage` (400/602) or `.imageTooLarge` (413/603); `.dependencyUnavailable` (503/610) when busy or the
    ///   store is unreachable.
    public func recognize(image: [UInt8], threshold override: Double? = nil) async throws -> Identification {
        try checkThreshold(override)
        let (analysis, face, embedding) = try await analyzeMainFace(image)
        let lookup = try await lookUp(embedding, override: override)
        var recognition = Identification(
            decision: lookup.decision,
            user: lookup.user,
            face: face,
            facesDetected: analysis.faces.count,
            threshold: threshold(forGallerySize: lookup.gallerySize, override: override),
            targetFalseAcceptRate: targetFalseAcceptRate(override: override),
            gallerySize: lookup.gallerySize,
            enrollmentKey: nil,
            timings: analysis.timings
        )
        if lookup.user == nil {
            (recognition.enrollmentKey, recognition.qualityShortfalls) = try await offerEnrollment(face, embedding)
        }
        return recognition
    }

    /// The enrolled user whose face the photo's main face already is (similarity at or above the duplicate
    /// threshold that refuses enrolling it again), with the similarity; nil when there is none. Issues no key:
    /// this is for tools that must tell "already enrolled" from "a new person" (`facematrix enrol-folder`).
    ///
    /// - Throws: `.faceNotDetected` (400/601), the photo's own errors, or `.dependencyUnavailable` (503/610).
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
        /// The face, its box and landmarks in the photo's pixels.
        public var face: AnalyzedFace
        /// Match or no match, with the best candidate either way when there is one.
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
        /// The similarity (−1…1) a match needed: the caller's, or the policy's for this gallery size.
        public var threshold: Double
        /// The open-set FAR `threshold` was set for; nil when a fixed threshold was used.
        public var targetFalseAcceptRate: Double?
        /// Enrolled users of this model.
        public var gallerySize: Int
        /// How long each stage of the pipeline took.
        public var timings: StageTimings
    }

    /// Finds who each of the photo's most prominent faces is (main face first; at most
    /// `configuration.maximumFacesPerPhoto`). Unmatched faces that meet the enrolment quality minimums get an
    /// enrollment key each; the others say what they miss, because a key that enrolment would refuse helps nobody.
    /// No face → `.faceNotDetected`.
    ///
    /// - Parameter override: a caller's threshold in place of the policy's, as in `recognise`.
    /// - Throws: as `recognise`.
    public func recognizeEveryFace(image: [UInt8], threshold override: Double? = nil) async throws
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
                face: face,
                decision: lookup.decision,
                user: lookup.user,
                enrollmentKey: nil,
                qualityShortfalls: []
            )
            if lookup.user == nil {
                (identification.enrollmentKey, identification.qualityShortfalls) = try await offerEnrollment(
                    face,
                    embedding
                )
            }
            faces.append(identification)
        }
        return GroupRecognition(
            faces: faces,
            facesDetected: analysis.faces.count,
            threshold: threshold(forGallerySize: gallerySize, override: override),
            targetFalseAcceptRate: targetFalseAcceptRate(override: override),
            gallerySize: gallerySize,
            timings: analysis.timings
        )
    }

    func checkThreshold(_ override: Double?) throws {
        if let override, !configuration.allowedThresholds.contains(override) {
            let range = configuration.allowedThresholds
            throw FaceMatrixError.validationFailed(
                field: "threshold",
                reason: "must be between \(range.lowerBound) and \(range.upperBound)"
            )
        }
    }

    func threshold(forGallerySize size: Int, override: Double?) -> Double {
        override ?? configuration.policy.threshold(forGallerySize: size)
    }

    /// nil when a fixed threshold (the operator's or the caller's) decides instead of the target.
    func targetFalseAcceptRate(override: Double?) -> Double? {
        let policy = configuration.policy
        return override != nil || policy.fixedThreshold != nil ? nil : policy.targetFalseAcceptRate
    }

    /// The open-set decision for one embedding, and the matched user as stored now.
    func lookUp(_ embedding: Embedding, override: Double?) async throws
        -> (decision: IdentificationDecision, user: User?, gallerySize: Int)
    {
        let search = try await store.searchUsers(similarTo: embedding, model: model)
        let decision = configuration.policy.decide(
            best: search.best,
            runnerUp: search.runnerUp,
            gallerySize: search.gallerySize,
            override: override
        )
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
    func offerEnrollment(_ face: AnalyzedFace, _ embedding: Embedding) async throws
        -> (key: (id: String, expiresAt: Date)?, shortfalls: [String])
    {
        let shortfalls = configuration.quality.shortfalls(of: face.quality)
        guard shortfalls.isEmpty else { return (nil, shortfalls) }
        return (try await issueEnrollmentKey(for: face, embedding: embedding), [])
    }

    /// Keeps an unmatched face for `enrollmentKeyLifetime` so that its owner can enrol without uploading again.
    func issueEnrollmentKey(for face: AnalyzedFace, embedding: Embedding) async throws
        -> (id: String, expiresAt: Date)
    {
        let key = "req-" + randomHex(bytes: 16)
        let expiresAt = now().addingTimeInterval(configuration.enrollmentKeyLifetime.seconds)
        try await store.saveEnrollmentKey(
            key,
            face: EnrolledFace(embedding: embedding, detection: face.detection, quality: face.quality),
            model: model,
            expiresAt: expiresAt
        )
        return (key, expiresAt)
    }

}
