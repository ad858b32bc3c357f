import FaceMatrixCore
import Foundation
import Synchronization

/// Bounds how many photos are analysed at once, and admits a waiting photo only while its expected wait fits the
/// wait budget. A caller who would wait longer is turned away at once (a 503 whose Retry-After is that expected
/// wait) instead of queueing into ever longer latency; a short burst on a fast server queues instead of failing.
///
/// The expected wait of the k-th waiter is k × (mean analysis time) / concurrency, the mean an exponentially
/// weighted average (weight 0.2) of the analyses that finished, so it follows load and photo sizes within a few
/// requests. Waiters are admitted first come, first served; all state is behind one mutex, so one limiter serves
/// every request.
public final class AdmissionLimiter: Sendable {
    /// Analyses that may run at the same time (at least 1).
    public let concurrency: Int
    /// A hard cap on waiters whatever the estimate says, so that memory stays bounded.
    public let queueLimit: Int
    /// The longest expected wait a new photo is admitted with.
    public let waitBudget: Duration

    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// Mean analysis time in seconds.
        var serviceSeconds: Double
    }

    private let state: Mutex<State>

    /// Photos waiting beyond those being analysed, at most, whatever the expected wait.
    public static let defaultQueueLimit = 256
    /// The original system's response-time requirement.
    public static let defaultWaitBudget: Duration = .seconds(1)

    /// The weight of the newest analysis in the running mean.
    static let smoothing = 0.2

    /// - Parameters:
    ///   - concurrency: analyses at the same time (at least 1).
    ///   - queueLimit: waiters at most (at least 0).
    ///   - waitBudget: the longest expected wait admitted; the original system's response-time requirement is 1 s.
    ///   - initialServiceTime: the mean analysis time assumed before any has finished.
    public init(
        concurrency: Int,
        queueLimit: Int = defaultQueueLimit,
        waitBudget: Duration = defaultWaitBudget,
        initialServiceTime: Duration = .milliseconds(100)
    ) {
        self.concurrency = max(1, concurrency)
        self.queueLimit = max(0, queueLimit)
        self.waitBudget = waitBudget
        self.state = Mutex(State(serviceSeconds: max(initialServiceTime.seconds, 0)))
    }

    /// Runs `operation` once a slot is free, and frees the slot when it ends, thrown or not.
    ///
    /// A waiting caller waits for a slot even when its task is cancelled.
    ///
    /// - Throws: `.dependencyUnavailable("busy", retryAfterSeconds:)` (HTTP 503, error_code 610, Retry-After the
    ///   expected wait rounded up, 1…3600 s) when that wait exceeds `waitBudget` or `queueLimit` photos already wait;
    ///   otherwise whatever `operation` throws.
    public func run<Result: Sendable>(_ operation: () async throws -> Result) async throws -> Result {
        try await acquire()
        let started = ContinuousClock.now
        defer { release(serviceTime: ContinuousClock.now - started) }
        return try await operation()
    }

    /// Requests running or waiting right now.
    public var load: (running: Int, waiting: Int) {
        state.withLock { ($0.running, $0.waiting.count) }
    }

    /// How long a photo arriving now would wait for a slot, by the current mean analysis time.
    public var expectedWait: Duration {
        state.withLock { .seconds(expectedWait(in: $0)) }
    }

    private func expectedWait(in state: State) -> Double {
        guard state.running >= concurrency else { return 0 }
        return Double(state.waiting.count + 1) * state.serviceSeconds / Double(concurrency)
    }

    private enum Admission {
        case admitted, wait
        case rejected(retryAfter: Int)
    }

    private func acquire() async throws {
        let budget = waitBudget.seconds
        let admission = state.withLock { state -> Admission in
            if state.running < concurrency {
                state.running += 1
                return .admitted
            }
            let wait = expectedWait(in: state)
            guard wait > budget || state.waiting.count >= queueLimit else { return .wait }
            return .rejected(retryAfter: Int(wait.rounded(.up).clamped(to: 1...3600)))
        }
        switch admission {
        case .admitted: return
        case .rejected(let retryAfter):
            throw FaceMatrixError.dependencyUnavailable("busy", retryAfterSeconds: retryAfter)
        case .wait:
            await withCheckedContinuation { continuation in
                let admittedNow = state.withLock { state -> Bool in
                    // A slot may have been freed between the check above and now.
                    if state.running < concurrency {
                        state.running += 1
                        return true
                    }
                    state.waiting.append(continuation)
                    return false
                }
                if admittedNow { continuation.resume() }
            }
        }
    }

    private func release(serviceTime: Duration) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.serviceSeconds += Self.smoothing * (serviceTime.seconds - state.serviceSeconds)
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            // The slot passes straight to the next waiter; `running` stays the same.
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        isFinite ? Swift.min(Swift.max(self, range.lowerBound), range.upperBound) : range.upperBound
    }
}
