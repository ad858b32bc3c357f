public import FaceMatrixCore
public import FacePipeline
import FaceStore
import Foundation

/// 1:1 verification, and the users: enrolment, added faces, look-up and erasure.
extension RecognitionService {
    /// The answer to "is this the person with this id?" (1:1 verification).
    public struct Verification: Sendable {
        /// The user the photo was compared with.
        public var userID: String
        /// Whether `similarity` reaches `threshold`.
        public var isSamePerson: Bool
        /// The best cosine similarity (−1…1) between the photo's main face and the user's faces; −1 when the user has
        /// no face of this model.
        public var similarity: Double
        /// The 1:1 threshold applied (`Configuration.verificationThreshold`).
        public var threshold: Double
        /// The photo's main face, the one compared.
        public var face: AnalyzedFace
        /// Every face found in the photo, the main face included.
        public var facesDetected: Int
        /// How long each stage of the pipeline took.
        public var timings: StageTimings
    }

    /// Compares the photo's main face with every face of user `id`. Unknown user → `.userNotFound` (before the
    /// photo is analysed); no face → `.faceNotDetected`.
    ///
    /// - Throws: `.userNotFound` (404/607) for an unknown or malformed id; `.faceNotDetected` (400/601);
    ///   `.invalidImage` (400/602) or `.imageTooLarge` (413/603) for a photo that cannot be read;
    ///   `.dependencyUnavailable` (503/610) when the service is busy or the store is unreachable.
    public func verify(image: [UInt8], userID id: String) async throws -> Verification {
        guard try await existingUser(id) != nil else { throw FaceMatrixError.userNotFound }
        let (analysis, face, embedding) = try await analyzeMainFace(image)
        // A user with no face of this model (enrolled under another embedder) cannot be this person by this model.
        let similarity = try await store.bestSimilarity(of: embedding, toUser: id, model: model) ?? -1
        let threshold = configuration.verificationThreshold
        return Verification(
            userID: id,
            isSamePerson: similarity >= threshold,
            similarity: similarity,
            threshold: threshold,
            face: face,
            facesDetected: analysis.faces.count,
            timings: analysis.timings
        )
    }

    // MARK: Enrol

    /// Where an enrolment's face comes from, as the caller sent it.
    public enum FaceInput: Sendable {
        /// A `req-…` key from an earlier recognition that found nobody; consumed by the enrolment.
        case enrollmentKey(String)
        /// A photo's bytes; its main face is enrolled.
        case image([UInt8])
    }

    /// Creates a user from an enrollment key (consumed) or a photo. A face that already belongs to someone, or
    /// that is not good enough, is refused and nothing is written.
    /// The check and the write are one transaction in the store, serialised with every other enrolment.
    ///
    /// - Throws: `.enrollmentKeyNotFound` (404/606) for a malformed, unknown, expired or used key; `.faceNotDetected`
    ///   (400/601) or the photo's own errors (400/602, 413/603); `.faceQualityTooLow` (422/604) below the enrolment
    ///   minimums; `.userAlreadyExists` (409/608) when the face reaches the duplicate threshold against an enrolled
    ///   user, or the email is registered; `.dependencyUnavailable` (503/610) when busy or the store is unreachable.
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

    /// Adds a face to an existing user, from an enrollment key (consumed) or a photo, once it passes the enrolment
    /// quality minimums, is nobody else's, and verifies (1:1) against the user's own faces; nothing is written when a
    /// check fails.
    ///
    /// - Throws: `.userNotFound` (404/607) for an unknown or malformed id, before the photo is analysed;
    ///   `.enrollmentKeyNotFound` (404/606); `.faceNotDetected` (400/601) or the photo's own errors;
    ///   `.faceQualityTooLow` (422/604); `.userAlreadyExists` (409/608) when another user reaches the match threshold
    ///   and beats this user's best similarity, or when the face is this user's photo again (similarity ≥ 0.97);
    ///   `.faceMismatch` (422/611) when its similarity to the user's best face is below the 1:1 threshold (not checked
    ///   while the user has no face of this model); `.dependencyUnavailable` (503/610).
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

    /// The user and how many faces they have.
    ///
    /// - Throws: `.userNotFound` (404/607) for an unknown or malformed id; `.dependencyUnavailable` (503/610).
    public func user(id: String) async throws -> UserRecord {
        guard let record = try await existingUser(id) else { throw FaceMatrixError.userNotFound }
        return record
    }

    /// Erases the user and every face of theirs.
    ///
    /// - Throws: `.userNotFound` (404/607) for an unknown or malformed id; `.dependencyUnavailable` (503/610).
    public func deleteUser(id: String) async throws {
        guard Self.isWellFormedUserID(id), try await store.deleteUser(id: id) else {
            throw FaceMatrixError.userNotFound
        }
    }

    /// User ids are "usr_" and 32 lowercase hex digits; anything else (a NUL byte, 100 KB) cannot exist, so it is
    /// answered as unknown without reaching the database.
    public static func isWellFormedUserID(_ id: String) -> Bool {
        id.utf8.count == 36 && id.hasPrefix("usr_") && id.utf8.dropFirst(4).allSatisfy { $0.isHexDigit }
    }

    /// Enrollment keys are "req-" and 32 lowercase hex digits, as `issueEnrollmentKey` makes them.
    public static func isWellFormedKey(_ key: String) -> Bool {
        key.utf8.count == 36 && key.hasPrefix("req-") && key.utf8.dropFirst(4).allSatisfy { $0.isHexDigit }
    }

    func existingUser(_ id: String) async throws -> UserRecord? {
        guard Self.isWellFormedUserID(id) else { return nil }
        return try await store.user(id: id)
    }

}
