import ArgumentParser
import Crypto
import FaceMatrixCore
import FaceMatrixServer
import FacePipeline
import Foundation
import Logging
import Recognition
import Synchronization

struct EnrollFolderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol-folder",
        abstract: "Enrol the people of a photo folder through the service's own code path.",
        discussion: """
            The folder has a labels.csv (file,identity; optional name, birthdate, email) or one sub-folder of photos \
            per person (optional people.csv: identity,name,birthdate,email). A person's first usable photo creates \
            the user; the others are added as further faces. Every photo passes the service's checks: the \
            enrolment quality minimums, the duplicate check, the image limits. Configuration comes from the \
            environment, as for `serve` (DATABASE_URL, FACEMATRIX_*).

            Progress goes to standard error, the JSON summary to standard output. A journal records every photo as \
            it is done: run the same command again after an interruption (Ctrl-C finishes the photos in flight \
            first) and it goes on where it stopped.
            """,
        aliases: ["enroll-folder"]
    )

    @Argument(help: "The folder of photos.") var folder: String

    @Option(help: "Birthdate (YYYY-MM-DD) for people whose row gives none.")
    var birthdate: String?

    @Option(
        help: """
            Where the journal is kept (default: facematrix-enrol-NAME-HASH.jsonl in the current directory, from the \
            folder's name and full path).
            """
    )
    var journal: String?

    @Option(help: "People enrolled at the same time (default: FACEMATRIX_INFERENCE_WORKERS).")
    var jobs: Int?

    @Option(help: "Also write the summary to this file.")
    var summary: String?

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64") }
        if let birthdate {
            do { _ = try NewUser.validated(name: "x", birthdate: birthdate, email: nil) } catch {
                throw ValidationError("--birthdate: \(error.message)")
            }
        }
    }

    func run() async throws {
        let (configuration, source) = try await refusingInOneLine {
            (
                try AppConfiguration(environment: ProcessInfo.processInfo.environment),
                try EnrollmentFolder(root: URL(fileURLWithPath: folder).standardizedFileURL)
            )
        }

        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"] == nil ? .warning : configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "facematrix")
        // A batch waits its turn instead of being turned away like an interactive request.
        let stack = try await refusingInOneLine {
            try RecognitionStack(configuration: configuration, logger: logger, waitBudget: .seconds(3600))
        }
        try await refusingInOneLine { try await stack.backend.prepare() }
        let journalURL = journal.map { URL(fileURLWithPath: $0) } ?? Self.defaultJournal(for: source.root)
        printError("journal: \(journalURL.path)")
        let stop = StopRequest()
        let signals = stop.install()
        defer { signals.forEach { $0.cancel() } }

        let enrollment = FolderEnrollment(
            service: stack.service,
            folder: source,
            defaultBirthdate: birthdate,
            stop: stop,
            jobs: jobs ?? configuration.pipeline.inferenceWorkers
        )
        let outcome = try await refusingInOneLine {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await stack.database.run() }
                defer { group.cancelAll() }
                try await prepareWhenReachable(stack.store, model: stack.service.model, logger: logger, attempts: 5)
                return try await enrollment.run(journalURL: journalURL)
            }
        }
        let report = try outcome.json()
        print(String(decoding: report, as: UTF8.self))
        if let summary { try report.write(to: URL(fileURLWithPath: summary)) }
        if outcome.interrupted {
            printError("interrupted; run the same command again to go on (journal: \(journalURL.path))")
            throw ExitCode(stop.exitStatus)
        }
    }
}

extension EnrollmentFolder.Problem: OneLineRefusal {}
extension EnrollmentJournal.Problem: OneLineRefusal {}

extension EnrollFolderCommand {
    /// In the working directory, never in the photo folder (a photo library is not ours to write into); named by
    /// the folder's full path, so two folders with the same name never share one.
    static func defaultJournal(for folder: URL) -> URL {
        let digest = SHA256.hash(data: Data(folder.path.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("facematrix-enrol-\(folder.lastPathComponent)-\(digest).jsonl")
    }
}
