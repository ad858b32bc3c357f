import Foundation

/// A one-line progress bar with an estimate of the time left, on standard error. When standard error is not a
/// terminal (a log file, CI), a line every 10 % instead.
final class ProgressBar {
    private let label: String
    private let total: Int
    private var done = 0
    private var lastDrawn = ContinuousClock.now
    private let started = ContinuousClock.now
    private let interactive = isatty(STDERR_FILENO) != 0

    init(label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    /// Called from one task at a time (the task group's consumer).
    func advance() {
        done += 1
        let now = ContinuousClock.now
        if interactive {
            guard now - lastDrawn > .milliseconds(200) || done == total else { return }
            lastDrawn = now
            FileHandle.standardError.write(Data("\r\(line(now))".utf8))
        } else if done * 10 / total != (done - 1) * 10 / total {
            FileHandle.standardError.write(Data("\(line(now))\n".utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func line(_ now: ContinuousClock.Instant) -> String {
        let width = 30
        let filled = done * width / total
        let elapsed = (now - started).milliseconds / 1000
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(label) [\(bar)] \(done)/\(total) \(done * 100 / total)%  ETA \(Int(left) / 60)m\(Int(left) % 60)s "
    }
}
