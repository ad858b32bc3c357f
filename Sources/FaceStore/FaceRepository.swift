public import FaceMatrixCore
public import Foundation

/// Where users, their face embeddings (the gallery) and pending enrollment keys live.
///
/// Every operation that writes is atomic: it happens completely or not at all, and enrolments are serialised so that a
/// face check and the write it approves see the same gallery. Domain failures are thrown as `FaceMatrixError`
/// (`.enrollmentKeyNotFound`, `.userNotFound`, `.userAlreadyExists`, `.dependencyUnavailable`). Similarities are cosine
/// similarities, −1…1, and only faces of one `ModelIdentity` are ever compared.
public protocol FaceRepository: Sendable {
    /// Prepares the store for `model` (e.g. the schema and the nearest-neighbour index for its dimension); called once
    /// at start, before any request.
    func prepare(for model: ModelIdentity) async throws

    /// Throws `.dependencyUnavailable` (HTTP 503, error_code 610) at once when the store is known to be unreachable, so
    /// that a request is refused before any work is spent on it. Does not contact the store.
    func checkAvailable() throws

    /// The two users whose best face of `model` is most similar to `embedding` (the probe), and the gallery size: how
    /// many users have a face of `model`.
    func searchUsers(similarTo embedding: Embedding, model: ModelIdentity) async throws -> UserSearchResult

    /// Keeps an unmatched face for a while under `key`, so its owner can enrol without uploading again.
    func saveEnrollmentKey(_ key: String, face: EnrolledFace, model: ModelIdentity, expiresAt: Date) async throws

    /// Creates a user with one face. With `.enrollmentKey` the key is consumed in the same transaction.
    /// `approve` sees the face and its search result among the already enrolled users, inside the transaction;
    /// whatever it throws (a duplicate face, a face of too low quality) aborts it and nothing is written.
    func createUser(
        _ user: NewUser,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult) throws -> Void
    ) async throws -> UserRecord

    /// Adds a face to an existing user. `approve` sees the face, its search result and this user's own best
    /// similarity; whatever it throws aborts the transaction and nothing is written.
    func addFace(
        toUser id: String,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult, Double?) throws -> Void
    ) async throws -> UserRecord

    /// The user with `id` and how many faces they have; nil when there is no such user.
    func user(id: String) async throws -> UserRecord?

    /// The highest similarity between `embedding` and any face of user `id` of `model` (−1…1); nil when the user
    /// has no face of that model.
    func bestSimilarity(of embedding: Embedding, toUser id: String, model: ModelIdentity) async throws -> Double?

    /// Deletes the user and every face of theirs; false when there is no such user.
    func deleteUser(id: String) async throws -> Bool

    /// Deletes expired enrollment keys and their embeddings; returns how many.
    func deleteExpiredEnrollmentKeys() async throws -> Int

    /// The counts behind the store's gauges.
    func statistics(model: ModelIdentity) async throws -> StoreStatistics
}

/// What the store holds, for the `facematrix_users_enrolled`, `facematrix_faces_enrolled` and
/// `facematrix_enrollment_keys_pending` gauges.
public struct StoreStatistics: Sendable, Equatable {
    /// Enrolled users, whatever the model of their faces.
    public var users: Int
    /// Enrolled faces of the model asked about.
    public var faces: Int
    /// Enrollment keys not yet expired, of every model.
    public var pendingEnrollmentKeys: Int

    /// Makes the counts.
    public init(users: Int, faces: Int, pendingEnrollmentKeys: Int) {
        self.users = users
        self.faces = faces
        self.pendingEnrollmentKeys = pendingEnrollmentKeys
    }
}

/// Ranks per-user best similarities: the best user and the runner-up.
func topTwo(_ bestPerUser: [String: Double]) -> (Candidate?, Candidate?) {
    let ranked = bestPerUser.map { Candidate(userID: $0.key, similarity: $0.value) }
        .sorted { ($0.similarity, $1.userID) > ($1.similarity, $0.userID) }
    return (ranked.first, ranked.dropFirst().first)
}
