import Crypto
public import FaceMatrixCore
public import FaceStore
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// API keys: `FACEMATRIX_API_KEYS` (role:secret pairs chosen by the operator) and keys made by
/// `facematrix keys create`, stored in PostgreSQL as a salted SHA-256 of their secret. A stored key reads
/// `fmk_<id>_<secret>`: the id finds the row, the secret is checked against its hash.
///
/// Secrets are 160 random bits, so a fast hash is enough (a slow password hash protects guessable secrets);
/// comparisons take the same time whatever the bytes, so the time of a refusal tells nothing about the key.
public enum APIKeyFormat {
    /// What the text of every stored key starts with.
    public static let prefix = "fmk_"

    /// A new key: what to give the caller once (`key`, `fmk_` + 16 hex digits of id + `_` + 40 of secret), and what to
    /// store (the id, a 16-byte random salt and the secret's hash).
    public static func make() -> (key: String, id: String, salt: [UInt8], secretHash: [UInt8]) {
        let id = randomHex(bytes: 8)
        let secret = randomHex(bytes: 20)
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return ("\(prefix)\(id)_\(secret)", id, salt, hash(secret: secret, salt: salt))
    }

    /// The id and secret of a stored key's text; nil for anything else.
    static func parse(_ key: String) -> (id: String, secret: String)? {
        guard key.hasPrefix(prefix) else { return nil }
        let parts = key.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == 16, parts[1].utf8.count == 40 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// SHA-256 of `salt` followed by the secret's UTF-8 bytes: 32 bytes. Configured keys are hashed with an empty salt,
    /// so that they too are compared as digests of one length.
    public static func hash(secret: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(secret.utf8))
        return Array(hasher.finalize())
    }

    /// Equal in time proportional to the length only (both are digests of one length here).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Decides who may call what. Keys are off (the service is open) when none is configured and none was ever stored:
/// revoking the last key locks the service rather than opening it. The stored keys are re-read every
/// `refreshInterval`, so a new or revoked key counts within that time.
public final class APIKeyAuthenticator: Sendable {
    /// What one request's key may do.
    public enum Decision: Sendable, Equatable {
        /// No key exists anywhere: everyone may call everything.
        case open
        /// A known, active key with this role.
        case allowed(APIRole)
        /// Keys are on and the request has none, or an unknown or revoked one.
        case unauthenticated
    }

    private struct Snapshot {
        /// Active keys by id.
        var stored: [String: APIKeyRepository.StoredKey] = [:]
        /// Whether any key was ever stored, revoked ones included.
        var anyEver = false
        var loadedAt: ContinuousClock.Instant?
    }

    /// Configured secrets, as digests (role, SHA-256 of the secret).
    private let configured: [(role: APIRole, digest: [UInt8])]
    private let repository: APIKeyRepository?
    private let refreshInterval: Duration
    /// Whether the database may be asked now (false while the store's circuit breaker is open).
    private let databaseIsReachable: @Sendable () -> Bool
    /// How long a re-read may hold up a request before the last known keys are used instead.
    private let refreshTimeout: Duration
    private let snapshot = Mutex(Snapshot())

    /// - Parameters:
    ///   - configured: `FACEMATRIX_API_KEYS`'s pairs.
    ///   - repository: the stored keys; nil to use only the configured ones.
    ///   - refreshInterval: how often the stored keys are read again, so that a new or revoked key counts.
    ///   - refreshTimeout: how long a read may hold up a request before the last known keys are used instead.
    ///   - databaseIsReachable: false while the database is known to be down; the last known keys are used then.
    public init(
        configured: [(role: APIRole, secret: String)],
        repository: APIKeyRepository?,
        refreshInterval: Duration = .seconds(5),
        refreshTimeout: Duration = .seconds(1),
        databaseIsReachable: @escaping @Sendable () -> Bool = { true }
    ) {
        self.configured = configured.map { ($0.role, APIKeyFormat.hash(secret: $0.secret, salt: [])) }
        self.repository = repository
        self.refreshInterval = refreshInterval
        self.refreshTimeout = refreshTimeout
        self.databaseIsReachable = databaseIsReachable
    }
    /// The number of keys that would be accepted now (configured + stored, not revoked).
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the stored keys were never read and cannot be now.
    public func activeKeyCount() async throws -> Int {
        try await current().stored.count + configured.count
    }

    /// Whether keys are required: some key exists, or one was stored and revoked (revoking the last key locks
    /// the service rather than opening it).
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the stored keys were never read and cannot be now.
    public func keysAreRequired() async throws -> Bool {
        let snapshot = try await current()
        return !configured.isEmpty || snapshot.anyEver
    }

    /// What `presented` (the request's key, if any) may do. A stored key is found by its id and its secret checked
    /// against the salted hash; any other text is compared with every configured key, in constant time, and a secret
    /// configured for several roles gets the strongest.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the stored keys were never read and cannot be now: refusing is
    ///   safer than opening the service because the database is down.
    public func decide(_ presented: String?) async throws -> Decision {
        let snapshot = try await current()
        let stored = snapshot.stored
        guard !configured.isEmpty || snapshot.anyEver else { return .open }
        guard let presented, !presented.isEmpty else { return .unauthenticated }
        if let (id, secret) = APIKeyFormat.parse(presented), let key = stored[id] {
            let matches = APIKeyFormat.constantTimeEqual(
                APIKeyFormat.hash(secret: secret, salt: key.salt),
                key.secretHash
            )
            return matches ? .allowed(key.role) : .unauthenticated
        }
        let digest = APIKeyFormat.hash(secret: presented, salt: [])
        // Every configured key is compared, so the time does not say which one was close.
        var granted: APIRole?
        for (role, expected) in configured where APIKeyFormat.constantTimeEqual(digest, expected) {
            granted = granted == .admin ? .admin : role
        }
        return granted.map(Decision.allowed) ?? .unauthenticated
    }

    private func current() async throws -> Snapshot {
        guard let repository else { return Snapshot() }
        let last = snapshot.withLock { $0 }
        if let loadedAt = last.loadedAt, ContinuousClock.now - loadedAt < refreshInterval { return last }
        // A database that is down must not hold requests up: the keys known last stay in force meanwhile.
        if last.loadedAt != nil && !databaseIsReachable() { return last }
        do {
            let all = try await withDeadline(refreshTimeout) { try await repository.all() }
            let active = all.filter { $0.revokedAt == nil }
            let fresh = Snapshot(
                stored: Dictionary(active.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
                anyEver: !all.isEmpty,
                loadedAt: .now
            )
            snapshot.withLock { $0 = fresh }
            return fresh
        } catch {
            guard last.loadedAt != nil else {
                throw FaceMatrixError.dependencyUnavailable("database", retryAfterSeconds: 1)
            }
            return last
        }
    }
}

/// Checks the API key of every request under `/api/`: recognise and verify need the `recognise` role (or
/// `admin`), everything else there `admin`. Health, metrics, the document and the try-it page stay open.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: APIKeyAuthenticator

    static func requiredRole(forPath path: String) -> APIRole? {
        guard path.hasPrefix("/api/") else { return nil }
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return ["recognise_user", "recognize_user", "verify"].contains(last) ? .recognize : .admin
    }

    /// `Authorization: Bearer KEY`, else `X-API-Key: KEY`.
    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return headers[.apiKey]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let required = Self.requiredRole(forPath: request.uri.path) else {
            return try await next(request, context)
        }
        switch try await authenticator.decide(Self.presentedKey(request.headers)) {
        case .open:
            return try await next(request, context)
        case .unauthenticated:
            throw FaceMatrixError.unauthorized
        case .allowed(let role):
            guard role.permits(required) else { throw FaceMatrixError.forbidden(required: required.rawValue) }
            return try await next(request, context)
        }
    }
}

extension HTTPField.Name {
    static let apiKey = Self("X-API-Key")!
}
