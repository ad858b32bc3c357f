import FaceMatrixCore
import Synchronization

/// Bounds how many photos are analysed at once and how many may wait. When the waiting room is full the caller is
/// turned away at once (a 503 with Retry-After) instead of queueing into ever longer latency.
public final class AdmissionLimiter: Sendable {
    public let concurrency: Int
    public let queueLimit: Int

    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init(concurrency: Int, queueLimit: Int) {
        self.concurrency = max(1, concurrency)
        self.queueLimit = max(0, queueLimit)
    }

    /// Runs `operation` when a slot is free; throws `.dependencyUnavailable` when too many are already waiting.
    public func run<Result: Sendable>(_ operation: () async throws -> Result) async throws -> Result {
        try await acquire()
        defer { release() }
        return try await operation()
    }

    /// Requests running or waiting right now.
    public var load: (running: Int, waiting: Int) {
        state.withLock { ($0.running, $0.waiting.count) }
    }

    private enum Admission {
        case admitted, wait, rejected
    }

    private func acquire() async throws {
        let admission = state.withLock { state -> Admission in
            if state.running < concurrency {
                state.running += 1
                return .admitted
            }
            return state.waiting.count < queueLimit ? .wait : .rejected
        }
        switch admission {
        case .admitted: return
        case .rejected: throw FaceMatrixError.dependencyUnavailable("busy", retryAfterSeconds: 1)
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

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
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
