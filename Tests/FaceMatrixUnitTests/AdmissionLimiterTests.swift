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

    /// Holds `count` callers inside `limiter` behind `gate` and waits until they are all in (running or waiting).
    static func occupy(_ limiter: AdmissionLimiter, count: Int, gate: Gate) async -> [Task<Void, any Error>] {
        let tasks = (0..<count).map { _ in Task { try await limiter.run { await gate.wait() } } }
        while limiter.load.running + limiter.load.waiting < count { await Task.yield() }
        return tasks
    }

    @Test func admitsWhileTheExpectedWaitFitsTheBudgetAndSaysHowLongToWait() async throws {
        // One slot, analyses taking 0.3 s: the k-th waiter expects k × 0.3 s, so three fit in 1 s, a fourth not.
        let limiter = AdmissionLimiter(
            concurrency: 1,
            queueLimit: 1000,
            waitBudget: .seconds(1),
            initialServiceTime: .milliseconds(300)
        )
        let gate = Gate()
        let tasks = await Self.occupy(limiter, count: 4, gate: gate)
        #expect(limiter.load == (1, 3))
        #expect(abs(limiter.expectedWait.seconds - 1.2) < 1e-9)
        await #expect(throws: FaceMatrixError.dependencyUnavailable("busy", retryAfterSeconds: 2)) {
            try await limiter.run {}
        }
        await gate.open()
        for task in tasks { try await task.value }
        #expect(limiter.load == (0, 0))
    }

    @Test func aBurstQueuesWhenAnalysesAreFast() async throws {
        // A fixed waiting room of 16 turned callers away while latency was fine; 10 ms analyses let 100 wait.
        let limiter = AdmissionLimiter(concurrency: 2, waitBudget: .seconds(1), initialServiceTime: .milliseconds(10))
        let gate = Gate()
        let tasks = await Self.occupy(limiter, count: 102, gate: gate)
        #expect(limiter.load == (2, 100))
        await gate.open()
        for task in tasks { try await task.value }
        #expect(limiter.load == (0, 0))
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
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
