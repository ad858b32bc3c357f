public import FaceMatrixCore
import Foundation
import Logging
public import PostgresNIO

/// Nearest-neighbour search over the faces (the HNSW index), and the gallery's counts.
extension PostgresFaceRepository {
    /// Reads the `neighbours` nearest faces of `model` through the HNSW index and keeps each user's best. HNSW is an
    /// approximate nearest-neighbour search, so a user is found only when one of their faces is among those read.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func searchUsers(similarTo embedding: Embedding, model: ModelIdentity) async throws -> UserSearchResult {
        try await perform {
            let gallerySize = try await gallerySize(of: model)
            return try await database.client.withConnection {
                try await search(embedding, model: model, gallerySize: gallerySize, on: $0)
            }
        }
    }

    /// The number of users with a face of `model`, from `gallerySizes`. Read on a connection of its own before the
    /// caller takes one for its search or transaction, so that no operation ever holds one connection while it waits
    /// for a second.
    func gallerySize(of model: ModelIdentity) async throws -> Int {
        try await gallerySizes.size(of: model.key) { try await countUsers(of: model) }
    }

    private func countUsers(of model: ModelIdentity) async throws -> Int {
        try await database.client.query(
            "SELECT count(DISTINCT user_id)::int FROM faces WHERE model = \(model.key)",
            logger: logger
        ).value(Int.self, or: 0)
    }

    /// The query the HNSW index serves: the `limit` nearest faces of one model by cosine distance (`<=>`), with
    /// similarity = 1 − distance (−1…1). Both sides are cast to `vector(dimension)`, the index's own expression, so
    /// that the planner can use it; public so that a test can check the plan.
    public static func nearestFacesQuery(_ embedding: Embedding, model: ModelIdentity, limit: Int) -> PostgresQuery {
        let dimension = model.dimension
        return """
            SELECT user_id, 1 - (embedding::vector(\(unescaped: String(dimension))) <=> \(embedding.pgvectorText)::vector(\(unescaped: String(dimension)))) AS similarity
            FROM faces
            WHERE model = \(model.key)
            ORDER BY embedding::vector(\(unescaped: String(dimension))) <=> \(embedding.pgvectorText)::vector(\(unescaped: String(dimension)))
            LIMIT \(limit)
            """
    }

    /// The best two users among the `neighbours` nearest faces, with the `gallerySize` given.
    func search(
        _ embedding: Embedding,
        model: ModelIdentity,
        gallerySize: Int,
        on connection: PostgresConnection
    ) async throws -> UserSearchResult {
        var best: [String: Double] = [:]
        // A setting of the session, so it holds for the pooled connection's later searches too; SET takes no bound
        // parameters, and the value is an integer clamped here.
        let efSearch = min(1000, max(neighbours, efSearch))
        try await connection.query(PostgresQuery(unsafeSQL: "SET hnsw.ef_search = \(efSearch)"), logger: logger)
        let rows = try await connection.query(
            Self.nearestFacesQuery(embedding, model: model, limit: neighbours),
            logger: logger
        )
        for try await (userID, similarity) in rows.decode((String, Double).self) {
            best[userID] = max(best[userID] ?? -2, similarity)
        }
        let (first, second) = topTwo(best)
        return UserSearchResult(best: first, runnerUp: second, gallerySize: gallerySize)
    }

    /// The highest cosine similarity (−1…1) between `embedding` and user `id`'s faces of `model`, computed exactly over
    /// all of them; nil when they have none.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func bestSimilarity(of embedding: Embedding, toUser id: String, model: ModelIdentity) async throws
        -> Double?
    {
        let dimension = String(model.dimension)
        return try await perform {
            try await database.client.query(
                """
                SELECT max(1 - (embedding::vector(\(unescaped: dimension)) <=> \(embedding.pgvectorText)::vector(\(unescaped: dimension))))
                FROM faces WHERE user_id = \(id) AND model = \(model.key)
                """,
                logger: logger
            ).value(Double?.self, or: nil)
        }
    }

    /// All users, the faces of `model`, and the unexpired keys of every model, in one query.
    ///
    /// - Throws: `.dependencyUnavailable` (503/610) when the database is unreachable or slow; `.internalError`
    ///   otherwise.
    public func statistics(model: ModelIdentity) async throws -> StoreStatistics {
        try await perform {
            let rows = try await database.client.query(
                """
                SELECT (SELECT count(*)::int FROM users),
                       (SELECT count(*)::int FROM faces WHERE model = \(model.key)),
                       (SELECT count(*)::int FROM enrollment_keys WHERE expires_at > now())
                """,
                logger: logger
            )
            var statistics = StoreStatistics(users: 0, faces: 0, pendingEnrollmentKeys: 0)
            for try await (users, faces, keys) in rows.decode((Int, Int, Int).self) {
                statistics = StoreStatistics(users: users, faces: faces, pendingEnrollmentKeys: keys)
            }
            return statistics
        }
    }
}
