import FaceMatrixCore
import Recognition
import Synchronization
import Testing

@Suite struct AdmissionLimiterTests {
    @Test func runsAtMostTheConcurrencyAndRejectsBeyondTheQueue() async throws {
        let limiter = AdmissionLimiter(concurrency: 2, queueLimit: 1)
        let gate = Gate()
        let peak = PeakCounter()
        // Three admitted (two running, one waiting); the fourth is turned away while they wait.
        let tasks = (0..<3).map { _ in
            Task {
                try await limiter.run {
                    peak.enter()
                    await gate.wait()
                    peak.leave()
                }
            }
        }
        while limiter.load != (2, 1) { await Task.yield() }
        await #expect(throws: FaceMatrixError.dependencyUnavailable("busy", retryAfterSeconds: 1)) {
            try await limiter.run {}
        }
        await gate.open()
        for task in tasks { try await task.value }
        #expect(peak.peak == 2)
        #expect(limiter.load == (0, 0))
        try await limiter.run {}  // healthy afterwards
    }
}

/// Holds callers until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

/// Counts callers inside a section and remembers the most at once.
final class PeakCounter: Sendable {
    private let state = Mutex((current: 0, peak: 0))

    func enter() {
        state.withLock {
            $0.current += 1
            $0.peak = max($0.peak, $0.current)
        }
    }

    func leave() { state.withLock { $0.current -= 1 } }

    var peak: Int { state.withLock { $0.peak } }
}
