import FaceStore
import PostgresNIO
import Testing

@Suite struct PostgresTests {
    @Test func migrationsCreatePgvectorAndAreIdempotent() async throws {
        try await withFreshDatabase { database, _ in
            let first = try await database.migrate()
            #expect(first == Database.migrations.map(\.version))
            let second = try await database.migrate()
            #expect(second.isEmpty)
            #expect(try await database.pgvectorVersion() == "0.8.0")
        }
    }

    @Test func twoProcessesMigratingAtOnceApplyEachStepOnce() async throws {
        try await withFreshDatabase { database, configuration in
            // A second pool stands in for a second process: its own connections, the same database.
            let other = Database(configuration: configuration, logger: TestEnvironment.logger)
            try await withRunning(other) {
                async let first = database.migrate()
                async let second = other.migrate()
                let applied = try await first + second
                #expect(applied.sorted() == Database.migrations.map(\.version))
            }
            let rows = try await database.client.query("SELECT count(*) FROM schema_migrations")
            for try await count in rows.decode(Int.self) { #expect(count == Database.migrations.count) }
        }
    }

    @Test func aSchemaNewerThanTheBuildIsRefused() async throws {
        try await withFreshDatabase { database, _ in
            try await database.migrate()
            try await database.client.query("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
            await #expect(throws: MigrationError.self) { try await database.migrate() }
        }
    }

    /// pgvector for real: an HNSW index with cosine distance finds the nearest row.
    @Test func hnswCosineSearchFindsTheNearestVector() async throws {
        try await withFreshDatabase { database, _ in
            try await database.migrate()
            let client = database.client
            try await client.query(
                "CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL, embedding vector(3) NOT NULL)"
            )
            let items: [(Int, String, String)] = [
                (1, "x-axis", "[1,0,0]"), (2, "y-axis", "[0,1,0]"), (3, "z-axis", "[0,0,1]"),
                (4, "xy-diagonal", "[1,1,0]"), (5, "long x", "[10,0.5,0]"),
            ]
            for (id, label, vector) in items {
                try await client.query(
                    "INSERT INTO items (id, label, embedding) VALUES (\(id), \(label), \(vector)::vector)"
                )
            }
            try await client.query("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops)")

            // Cosine distance ignores length: [0.1, 3, 0] points almost along y.
            let nearest = try await client.query(
                "SELECT label, embedding <=> \("[0.1,3,0]")::vector FROM items ORDER BY embedding <=> \("[0.1,3,0]")::vector LIMIT 2"
            )
            var results: [(String, Double)] = []
            for try await (label, distance) in nearest.decode((String, Double).self) {
                results.append((label, distance))
            }
            #expect(results.map(\.0) == ["y-axis", "xy-diagonal"])
            #expect(abs(results[0].1 - (1 - 3 / (0.01 + 9).squareRoot())) < 1e-6)

            // With sequential scans off the planner must take the HNSW index for this query.
            let plan = try await client.withConnection { connection in
                try await connection.query("SET enable_seqscan = off", logger: TestEnvironment.logger)
                var lines: [String] = []
                let rows = try await connection.query(
                    "EXPLAIN SELECT id FROM items ORDER BY embedding <=> \("[1,0,0]")::vector LIMIT 1",
                    logger: TestEnvironment.logger
                )
                for try await line in rows.decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("items_hnsw"))
        }
    }
}
