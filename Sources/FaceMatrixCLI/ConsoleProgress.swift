import Foundation
import Synchronization

/// Set by Ctrl-C or SIGTERM: no new photo is started, those in flight finish and are journaled. A second signal
/// ends the process at once.
final class StopRequest: Sendable {
    /// The signal that asked to stop, if one did.
    private let received = Mutex<Int32?>(nil)

    var isRequested: Bool { received.withLock { $0 != nil } }

    /// The conventional status of a process stopped by its signal: 128 + the signal's number (130, 143).
    var exitStatus: Int32 { 128 + (received.withLock { $0 } ?? SIGINT) }

    func install() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let already = received.withLock { value in
                    defer { value = value ?? number }
                    return value != nil
                }
                if already { exit(128 + number) }
                printError("stopping after the photos in flight (again to stop at once)")
            }
            source.resume()
            return source
        }
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line every tenth of the way otherwise.
final class ProgressReport: Sendable {
    private struct State {
        var done: Int
        var counts: [EnrollmentOutcome: Int] = [:]
        var lastDecile = -1
    }

    private let total: Int
    private let state: Mutex<State>
    private let isTerminal = isatty(STDERR_FILENO) == 1

    init(total: Int, done: Int) {
        self.total = total
        state = Mutex(State(done: done))
        if done > 0 { printError("resuming: \(done) of \(total) photos were done before") }
    }

    func advance(_ outcome: EnrollmentOutcome) {
        let line: String? = state.withLock { state in
            state.done += 1
            state.counts[outcome, default: 0] += 1
            let decile = total > 0 ? state.done * 10 / total : 10
            guard isTerminal || decile != state.lastDecile else { return nil }
            state.lastDecile = decile
            return render(state)
        }
        guard let line else { return }
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func render(_ state: State) -> String {
        let width = 30
        let filled = total > 0 ? min(width, state.done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let counts = EnrollmentOutcome.allCases.compactMap { outcome in
            state.counts[outcome].map { "\(outcome.rawValue) \($0)" }
        }
        return "[\(bar)] \(state.done)/\(total)  " + counts.joined(separator: " · ")
    }
}
