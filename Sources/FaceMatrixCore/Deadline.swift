import Synchronization

/// Thrown by `withDeadline` when the operation did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    /// Creates the error; it carries no detail beyond its type.
    public init() {}

    /// A short phrase for logs and messages: "no answer in time".
    public var description: String { "no answer in time" }
}

/// Runs `operation`, giving up with `DeadlineExceeded` after `timeout`, so that a dependency that stops answering
/// costs a bounded wait instead of a hanging request.
///
/// At the deadline the operation is cancelled and abandoned: the caller gets its answer then, even when the
/// operation ignores cancellation (a database driver waiting for a connection may), and the operation finishes in
/// the background. A task group would instead wait for every child before returning. Cancelling the caller
/// cancels the operation and throws `CancellationError`.
///
/// - Parameters:
///   - timeout: The longest wait, on the continuous clock, counted from the call.
///   - operation: The work to bound; it runs in a new unstructured task.
/// - Returns: `operation`'s result, when it arrives before the deadline.
/// - Throws: `DeadlineExceeded` when `timeout` elapses first, `CancellationError` when the calling task is
///   cancelled first, and otherwise whatever `operation` throws.
public func withDeadline<Result: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = OneShot<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            outcome.install(continuation)
            let work = Task {
                do {
                    outcome.resume(with: .success(try await operation()))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                outcome.resume(with: .failure(DeadlineExceeded()))
            }
            outcome.onResolve {
                work.cancel()
                timer.cancel()
            }
        }
    } onCancel: {
        outcome.resume(with: .failure(CancellationError()))
    }
}

/// A continuation resumed exactly once, by whichever of the operation, the timer or cancellation comes first.
private final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        /// An outcome that arrived before the continuation was installed (cancellation can).
        var early: Swift.Result<Value, any Error>?
        var resolved = false
        var onResolve: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Swift.Result<Value, any Error>? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(with: early) }
    }

    /// `action` runs once the outcome is known (at once if it already is).
    func onResolve(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if !state.resolved { state.onResolve = action }
            return state.resolved
        }
        if already { action() }
    }

    func resume(with result: Swift.Result<Value, any Error>) {
        let (continuation, action) = state.withLock {
            state -> (CheckedContinuation<Value, any Error>?, (@Sendable () -> Void)?) in
            guard !state.resolved else { return (nil, nil) }
            state.resolved = true
            let action = state.onResolve
            state.onResolve = nil
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, action)
            }
            state.continuation = nil
            return (continuation, action)
        }
        continuation?.resume(with: result)
        action?()
    }
}
