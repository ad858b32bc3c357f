public import FaceMatrixCore
public import Foundation
import Synchronization

/// A store kept in memory, for fast tests of the service's logic. Not for production: nothing survives a restart.
///
/// Every operation runs under one mutex, so each is atomic and isolated; a write works on a copy of the state that
/// replaces it only when every check passed. Search is exhaustive (every face of the model), not approximate.
public final class InMemoryFaceRepository: FaceRepository {
    struct Face {
        let userID: String
        let model: String
        let embedding: Embedding
    }

    struct State {
        var users: [String: (user: User, createdAt: Date)] = [:]
        var faces: [Face] = []
        var keys: [String: (face: EnrolledFace, model: String, expiresAt: Date)] = [:]
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock that enrollment keys expire by (a controllable one in tests).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Never refuses: memory is always there.
    public func checkAvailable() {}

    /// Nothing to prepare: search is a linear scan.
    public func prepare(for model: ModelIdentity) async throws {}

    /// The best two users by their best face of `model`, compared with every such face (cosine similarity, −1…1).
    public func searchUsers(similarTo embedding: Embedding, model: ModelIdentity) async throws -> UserSearchResult {
        state.withLock { Self.search(embedding, model: model, in: $0) }
    }

    static func search(_ embedding: Embedding, model: ModelIdentity, in state: State) -> UserSearchResult {
        var best: [String: Double] = [:]
        for face in state.faces where face.model == model.key {
            best[face.userID] = max(best[face.userID] ?? -2, embedding.similarity(to: face.embedding))
        }
        let (first, second) = topTwo(best)
        let gallery = Set(state.faces.filter { $0.model == model.key }.map(\.userID)).count
        return UserSearchResult(best: first, runnerUp: second, gallerySize: gallery)
    }

    /// The highest similarity (−1…1) between `embedding` and user `id`'s faces of `model`; nil when they have none.
    public func bestSimilarity(of embedding: Embedding, toUser id: String, model: ModelIdentity) async throws
        -> Double?
    {
        state.withLock { state in
            state.faces.filter { $0.userID == id && $0.model == model.key }
                .map { embedding.similarity(to: $0.embedding) }.max()
        }
    }

    /// Keeps `face` under `key` until `expiresAt`; saving a key again replaces its face.
    public func saveEnrollmentKey(_ key: String, face: EnrolledFace, model: ModelIdentity, expiresAt: Date)
        async throws
    {
        state.withLock { $0.keys[key] = (face, model.key, expiresAt) }
    }

    /// Creates the user with one face, atomically; `approve` runs under the lock, so it must not block.
    ///
    /// - Throws: `.enrollmentKeyNotFound` for a key that is unknown, expired, used or of another model; whatever
    ///   `approve` throws; `.userAlreadyExists` for an email already registered (compared case-insensitively). Nothing
    ///   is written then, and a key stays unconsumed.
    public func createUser(
        _ user: NewUser,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult) throws -> Void
    ) async throws -> UserRecord {
        let now = now()
        return try state.withLock { state in
            var draft = state
            let enrolled = try Self.resolve(face, model: model, now: now, consumingFrom: &draft)
            try approve(enrolled, Self.search(enrolled.embedding, model: model, in: draft))
            if let email = user.email,
                draft.users.values.contains(where: { $0.user.email?.lowercased() == email.lowercased() })
            {
                throw FaceMatrixError.userAlreadyExists("the email address is already registered")
            }
            let record = User(id: newUserID(), name: user.name, birthdate: user.birthdate, email: user.email)
            draft.users[record.id] = (record, now)
            draft.faces.append(Face(userID: record.id, model: model.key, embedding: enrolled.embedding))
            state = draft
            return UserRecord(user: record, faceCount: 1, createdAt: now)
        }
    }

    /// Adds a face to user `id`, atomically; `approve` runs under the lock, so it must not block.
    ///
    /// - Throws: `.userNotFound`; `.enrollmentKeyNotFound` for a key that is unknown, expired, used or of another
    ///   model; whatever `approve` throws. Nothing is written then.
    public func addFace(
        toUser id: String,
        face: FaceSource,
        model: ModelIdentity,
        approve: @escaping @Sendable (EnrolledFace, UserSearchResult, Double?) throws -> Void
    ) async throws -> UserRecord {
        let now = now()
        return try state.withLock { state in
            var draft = state
            guard let user = draft.users[id] else { throw FaceMatrixError.userNotFound }
            let enrolled = try Self.resolve(face, model: model, now: now, consumingFrom: &draft)
            let own = draft.faces.filter { $0.userID == id && $0.model == model.key }
                .map { enrolled.embedding.similarity(to: $0.embedding) }.max()
            try approve(enrolled, Self.search(enrolled.embedding, model: model, in: draft), own)
            draft.faces.append(Face(userID: id, model: model.key, embedding: enrolled.embedding))
            state = draft
            return UserRecord(
                user: user.user,
                faceCount: draft.faces.filter { $0.userID == id }.count,
                createdAt: user.createdAt
            )
        }
    }

    static func resolve(_ source: FaceSource, model: ModelIdentity, now: Date, consumingFrom state: inout State)
        throws -> EnrolledFace
    {
        switch source {
        case .face(let face): return face
        case .enrollmentKey(let key):
            guard let pending = state.keys.removeValue(forKey: key), pending.expiresAt > now, pending.model == model.key
            else { throw FaceMatrixError.enrollmentKeyNotFound }
            return pending.face
        }
    }

    /// The user and their face count (faces of every model); nil when there is no such user.
    public func user(id: String) async throws -> UserRecord? {
        state.withLock { state in
            state.users[id].map {
                UserRecord(
                    user: $0.user,
                    faceCount: state.faces.filter { $0.userID == id }.count,
                    createdAt: $0.createdAt
                )
            }
        }
    }

    /// Removes the user and every face of theirs; false when there is no such user.
    public func deleteUser(id: String) async throws -> Bool {
        state.withLock { state in
            guard state.users.removeValue(forKey: id) != nil else { return false }
            state.faces.removeAll { $0.userID == id }
            return true
        }
    }

    /// Removes the keys whose expiry is at or before `now()`; returns how many.
    public func deleteExpiredEnrollmentKeys() async throws -> Int {
        let now = now()
        return state.withLock { state in
            let expired = state.keys.filter { $0.value.expiresAt <= now }.map(\.key)
            for key in expired { state.keys.removeValue(forKey: key) }
            return expired.count
        }
    }

    /// All users, the faces of `model`, and the keys of every model not yet expired by `now()`.
    public func statistics(model: ModelIdentity) async throws -> StoreStatistics {
        let now = now()
        return state.withLock { state in
            StoreStatistics(
                users: state.users.count,
                faces: state.faces.filter { $0.model == model.key }.count,
                pendingEnrollmentKeys: state.keys.values.filter { $0.expiresAt > now }.count
            )
        }
    }
}
