public import Logging
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// The service's PostgreSQL: a connection pool plus the few queries every part needs. Run it (it is a service)
/// while using it.
///
/// After an outage the pool is replaced by a fresh one. PostgresNIO's pool retries a failed connection after
/// 100 ms · 1.25ⁿ (capped at 60 s), so after a long outage it would go on waiting for many seconds after the
/// database is back; a new pool connects at its first query. The pool that is replaced keeps serving the queries
/// it holds for `retirementGrace` and is then shut down.
public final class Database: Service, Sendable {
    /// Where the server is; every new pool is made from it.
    public let configuration: DatabaseConfiguration
    /// The logger for queries and pool events.
    public let logger: Logger
    /// How long a replaced pool may finish the queries it holds; longer than any operation's deadline.
    let retirementGrace: Duration

    private struct Pools {
        var current: PostgresClient
        /// Ends when the current pool is replaced.
        var retirement: AsyncStream<Void>.Continuation
        var replacements: Int = 0
        /// Whether `run()` has started the first pool.
        var running = false
    }

    private let pools: Mutex<Pools>
    private let started: AsyncStream<(PostgresClient, AsyncStream<Void>)>
    private let start: AsyncStream<(PostgresClient, AsyncStream<Void>)>.Continuation

    /// Makes the first pool; nothing connects until `run()` runs and a query needs a connection.
    ///
    /// - Parameter retirementGrace: how long a replaced pool may finish the queries it holds before it is shut down.
    public init(configuration: DatabaseConfiguration, logger: Logger, retirementGrace: Duration = .seconds(30)) {
        self.configuration = configuration
        self.logger = logger
        self.retirementGrace = retirementGrace
        (started, start) = AsyncStream.makeStream()
        let pool = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let (retirement, retire) = AsyncStream<Void>.makeStream()
        pools = Mutex(Pools(current: pool, retirement: retire))
        start.yield((pool, retirement))
    }

    /// The pool to query now.
    public var client: PostgresClient { pools.withLock { $0.current } }

    /// How many times the pool was replaced since the start.
    public var poolReplacements: Int { pools.withLock { $0.replacements } }

    /// Runs every pool, the current one and those being retired, until the task is cancelled or a graceful
    /// shutdown (SIGTERM in `serve`) begins.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.runPools() }
    }

    private func runPools() async {
        await withDiscardingTaskGroup { group in
            for await (pool, retirement) in started {
                let grace = retirementGrace
                group.addTask {
                    await withTaskGroup(of: Void.self) { lifetime in
                        lifetime.addTask {
                            self.pools.withLock { $0.running = true }
                            await pool.run()
                        }
                        lifetime.addTask {
                            for await _ in retirement {}
                            try? await Task.sleep(for: grace)
                        }
                        _ = await lifetime.next()
                        lifetime.cancelAll()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Returns once `run()` has started the pool, or after `limit`. A query sent earlier waits for the pool anyway,
    /// but PostgresNIO warns about it ("run() hasn't been called yet"), and start-up's first query (the
    /// migrations) would otherwise race the service group that starts `run()`.
    ///
    /// - Parameter limit: the longest wait, for a caller that never runs the database (its query then waits in the
    ///   pool's queue, as before).
    public func waitUntilRunning(limit: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + limit
        while !pools.withLock({ $0.running }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        // The flag is set just before the pool's `run()` begins; give it that moment.
        try? await Task.sleep(for: .milliseconds(5))
    }

    /// Puts a fresh pool in place of the current one, which is retired; safe from any task. Queries already holding a
    /// connection of the old pool finish on it.
    public func replacePool() {
        let pool = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let (retirement, retire) = AsyncStream<Void>.makeStream()
        let retired = pools.withLock { pools in
            defer {
                pools.current = pool
                pools.retirement = retire
                pools.replacements += 1
            }
            return pools.retirement
        }
        start.yield((pool, retirement))
        retired.finish()
        logger.info("database connection pool replaced after an outage")
    }

    /// Asks the server for its version over a connection of its own, outside the pool (and its back-off).
    ///
    /// - Throws: PostgresNIO's errors when the server cannot be reached or refuses the login.
    public func probe() async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try configuration.connectionConfiguration(),
            id: 0,
            logger: logger
        )
        do {
            try await connection.query("SELECT 1", logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The installed pgvector version, or nil when the extension is missing.
    ///
    /// - Throws: PostgresNIO's errors when the server cannot be reached (no deadline here).
    public func pgvectorVersion() async throws -> String? {
        let rows = try await client.query(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
            logger: logger
        )
        for try await version in rows.decode(String.self) { return version }
        return nil
    }

    /// The server's `server_version`, e.g. `16.4`; `unknown` when it answers no row.
    ///
    /// - Throws: PostgresNIO's errors when the server cannot be reached (no deadline here).
    public func serverVersion() async throws -> String {
        let rows = try await client.query("SHOW server_version", logger: logger)
        for try await version in rows.decode(String.self) { return version }
        return "unknown"
    }
}
