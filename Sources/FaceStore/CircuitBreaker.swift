public import FaceMatrixCore
import Synchronization

/// Fails database operations at once while the database is known to be down, instead of letting every request wait
/// for its own deadline, and finds out by itself when it is back.
///
/// Closed (normal): operations run. The first operation that fails because the database is unreachable (refused
/// connection, timeout, shutdown) opens the breaker. Open: operations fail immediately with
/// `.dependencyUnavailable`, and one background probe asks the database every `probeInterval` (each probe bounded
/// by `probeTimeout`) until it answers, which closes the breaker again. A request therefore waits for the
/// database only while nobody yet knows it is down, and service resumes within about one probe interval of its
/// return. This is the circuit-breaker pattern (M. Nygard, *Release It!*, 2007) with a probe in place of a
/// half-open trial request, so that no client request is spent on finding out.
public final class CircuitBreaker: Sendable {
    private struct State {
        var isOpen = false
        var probing = false
    }

    private let state = Mutex(State())
    let probeInterval: Duration
    let probeTimeout: Duration
    /// Answers when the database does; throws otherwise.
    let probe: @Sendable () async throws -> Void

    /// Retry-After for refusals while open: the probe runs at least this often, so a client that waits this long
    /// finds the database back if it is.
    public var retryAfterSeconds: Int { max(1, Int(probeInterval.components.seconds)) }

    /// - Parameters:
    ///   - probeInterval: the pause before each probe while the breaker is open; also, in whole seconds (at least 1),
    ///     the `Retry-After` of the refusals.
    ///   - probeTimeout: how long one probe may take before it counts as unanswered.
    ///   - probe: asks the database; returning closes the breaker, throwing keeps it open.
    public init(
        probeInterval: Duration = .milliseconds(500),
        probeTimeout: Duration = .seconds(1),
        probe: @escaping @Sendable () async throws -> Void
    ) {
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.probe = probe
    }

    /// Whether operations are refused now: the database is known to be unreachable and the probe is running.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Refuses at once while the breaker is open; contacts nothing.
    ///
    /// - Throws: `.dependencyUnavailable` (HTTP 503, error_code 610, `Retry-After: retryAfterSeconds`) while open.
    public func check() throws(FaceMatrixError) {
        if isOpen {
            throw .dependencyUnavailable("database", retryAfterSeconds: retryAfterSeconds)
        }
    }

    /// Records that the database could not be reached, opening the breaker and starting the probe. Safe from any number
    /// of tasks at once: only one probe runs.
    public func recordUnreachable() {
        let startProbe = state.withLock { state -> Bool in
            state.isOpen = true
            defer { state.probing = true }
            return !state.probing
        }
        if startProbe {
            Task { await probeUntilBack() }
        }
    }

    private func probeUntilBack() async {
        while true {
            try? await Task.sleep(for: probeInterval)
            let answered = (try? await withDeadline(probeTimeout, probe)) != nil
            if answered {
                state.withLock { $0 = State() }
                return
            }
        }
    }
}
