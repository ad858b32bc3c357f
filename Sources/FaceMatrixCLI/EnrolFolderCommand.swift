import ArgumentParser
import Crypto
import FaceMatrixCore
import FaceMatrixServer
import FacePipeline
import Foundation
import Logging
import Recognition
import Synchronization

struct EnrolFolderCommand: AsyncParsableCommand {
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
            """)
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
                try EnrolmentFolder(root: URL(fileURLWithPath: folder).standardizedFileURL)
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
        let journalURL = journal.map { URL(fileURLWithPath: $0) } ?? Self.defaultJournal(for: source.root)
        printError("journal: \(journalURL.path)")
        let stop = StopRequest()
        let signals = stop.install()
        defer { signals.forEach { $0.cancel() } }

        let enrolment = FolderEnrolment(
            service: stack.service, folder: source, defaultBirthdate: birthdate, stop: stop,
            jobs: jobs ?? configuration.pipeline.inferenceWorkers)
        let outcome = try await refusingInOneLine {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await stack.database.run() }
                defer { group.cancelAll() }
                try await prepareWhenReachable(stack.store, model: stack.service.model, logger: logger, attempts: 5)
                return try await enrolment.run(journalURL: journalURL)
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

extension EnrolmentFolder.Problem: OneLineRefusal {}
extension EnrolmentJournal.Problem: OneLineRefusal {}

extension EnrolFolderCommand {
    /// In the working directory, never in the photo folder (a photo library is not ours to write into); named by
    /// the folder's full path, so two folders with the same name never share one.
    static func defaultJournal(for folder: URL) -> URL {
        let digest = SHA256.hash(data: Data(folder.path.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("facematrix-enrol-\(folder.lastPathComponent)-\(digest).jsonl")
    }
}

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

/// Enrols a folder person by person, several people at a time, each person's photos in order.
struct FolderEnrolment: Sendable {
    let service: RecognitionService
    let folder: EnrolmentFolder
    let defaultBirthdate: String?
    let stop: StopRequest
    let jobs: Int

    struct Outcome: Sendable {
        let folder: String
        let journal: String
        let people: Int
        let photos: Int
        /// Every photo done, in this run and in earlier ones (a photo tried again has several records).
        let records: [EnrolmentRecord]
        let recordsBefore: Int
        let seconds: Double
        let interrupted: Bool
        let skipped: [String]

        struct Listed: Encodable {
            let file: String
            let identity: String
            let reason: String
        }

        struct ThisRun: Encodable {
            let photos: Int
            let seconds: Double
            let photosPerSecond: Double

            enum CodingKeys: String, CodingKey {
                case photos, seconds
                case photosPerSecond = "photos_per_second"
            }
        }

        /// The summary printed at the end; field names are snake_case like the API's.
        struct Report: Encodable {
            let folder: String
            let journal: String
            let people: Int
            let photos: Int
            let peopleEnrolled: Int
            /// Identity → user id, for every person who has a user now.
            let users: [String: String]
            let counts: [String: Int]
            let remaining: Int
            let interrupted: Bool
            let thisRun: ThisRun
            let refusedByQuality: [Listed]
            let duplicates: [Listed]
            let mismatches: [Listed]
            let noFace: [Listed]
            let unreadable: [Listed]
            let invalid: [Listed]
            let skippedRows: [String]

            enum CodingKeys: String, CodingKey {
                case folder, journal, people, photos
                case peopleEnrolled = "people_enrolled"
                case users, counts, remaining, interrupted
                case thisRun = "this_run"
                case refusedByQuality = "refused_by_quality"
                case duplicates, mismatches
                case noFace = "no_face"
                case unreadable, invalid
                case skippedRows = "skipped_rows"
            }
        }

        func json() throws -> Data {
            // A photo tried again counts by its last outcome.
            let latest = EnrolmentJournal.latest(records).values.sorted { $0.file < $1.file }
            var counts: [String: Int] = [:]
            for outcome in EnrolmentOutcome.allCases { counts[outcome.rawValue] = 0 }
            for record in latest { counts[record.outcome.rawValue, default: 0] += 1 }
            func listed(_ outcome: EnrolmentOutcome) -> [Listed] {
                latest.filter { $0.outcome == outcome }.map { record in
                    Listed(file: record.file, identity: record.identity, reason: record.reason ?? "")
                }
            }
            let doneNow = records.count - recordsBefore
            let users = EnrolmentJournal.users(in: latest)
            let report = Report(
                folder: folder, journal: journal, people: people, photos: photos, peopleEnrolled: users.count,
                users: users, counts: counts, remaining: photos - latest.count,
                interrupted: interrupted,
                thisRun: ThisRun(
                    photos: doneNow, seconds: (seconds * 10).rounded() / 10,
                    photosPerSecond: seconds > 0 ? (Double(doneNow) / seconds * 10).rounded() / 10 : 0),
                refusedByQuality: listed(.refusedByQuality), duplicates: listed(.duplicate),
                mismatches: listed(.mismatch), noFace: listed(.noFace), unreadable: listed(.unreadable),
                invalid: listed(.invalid), skippedRows: skipped)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(report)
        }
    }

    func run(journalURL: URL) async throws -> Outcome {
        let journal = try EnrolmentJournal(url: journalURL, folder: folder.root.path)
        // Users the journal knows but the database no longer has (erased, or another database) are enrolled again.
        var gone: Set<String> = []
        for (identity, userID) in EnrolmentJournal.users(in: await journal.records) {
            do { _ = try await service.user(id: userID) } catch FaceMatrixError.userNotFound { gone.insert(identity) }
        }
        try await journal.forget(gone)
        let before = await journal.records
        // Done: photos that belong to a user now. Every refused photo is tried again.
        let done = Set(EnrolmentJournal.latest(before).values.filter { $0.userID != nil }.map(\.file))
        let users = EnrolmentJournal.users(in: before)
        let progress = ProgressReport(total: folder.photoCount, done: done.count)
        let started = ContinuousClock.now

        try await withThrowingTaskGroup(of: Void.self) { group in
            var waiting = folder.people.filter { person in person.photos.contains { !done.contains($0) } }[...]
            func startNext() {
                guard let person = waiting.popFirst() else { return }
                group.addTask {
                    try await enrol(
                        person, userID: users[person.identity], done: done, journal: journal, progress: progress)
                }
            }
            for _ in 0..<jobs { startNext() }
            while try await group.next() != nil {
                startNext()
            }
        }
        progress.finish()
        let records = await journal.records
        try await journal.close()
        return Outcome(
            folder: folder.root.path, journal: journalURL.path, people: folder.people.count,
            photos: folder.photoCount, records: records, recordsBefore: before.count,
            seconds: (ContinuousClock.now - started).milliseconds / 1000, interrupted: stop.isRequested,
            skipped: folder.skipped)
    }

    private func enrol(
        _ person: EnrolmentFolder.Person, userID known: String?, done: Set<String>, journal: EnrolmentJournal,
        progress: ProgressReport
    ) async throws {
        var userID = known
        for file in person.photos where !done.contains(file) {
            guard !stop.isRequested else { return }
            var record = EnrolmentRecord(file: file, identity: person.identity, outcome: .enrolled)
            var bytes: [UInt8] = []
            do {
                bytes = try readPhoto(file)
                if let existing = userID {
                    _ = try await service.addFace(toUser: existing, face: .image(bytes))
                    record = EnrolmentRecord(file: file, identity: person.identity, outcome: .faceAdded)
                } else {
                    let user = try NewUser.validated(
                        name: person.name, birthdate: person.birthdate ?? defaultBirthdate, email: person.email)
                    userID = try await service.addUser(user, face: .image(bytes)).user.id
                }
                record.userID = userID
            } catch let error as FaceMatrixError {
                guard let refused = Self.refusal(error) else { throw error }
                record = EnrolmentRecord(
                    file: file, identity: person.identity, outcome: refused, userID: nil, reason: error.message)
                if refused == .duplicate || refused == .mismatch {
                    try await explain(&record, bytes: bytes, person: person, userID: &userID)
                }
            }
            try await journal.append(record)
            progress.advance(record.outcome)
        }
    }

    /// Names the user a refused face already belongs to. When that user has this person's name and this person has
    /// no user yet, they are taken to be the same person, enrolled before (by an earlier import or through the
    /// API): the photo counts as theirs and the person's other photos are added to them, instead of creating a
    /// second user with the same name.
    private func explain(
        _ record: inout EnrolmentRecord, bytes: [UInt8], person: EnrolmentFolder.Person, userID: inout String?
    ) async throws {
        guard let (owner, similarity) = try await service.enrolledUser(matching: bytes) else { return }
        let similar = (similarity * 1000).rounded() / 1000
        record.reason = "\(record.reason ?? ""); it is \(owner.name) (\(owner.id), similarity \(similar))"
        let samePerson =
            userID.map { $0 == owner.id } ?? (owner.name.caseInsensitiveCompare(person.name) == .orderedSame)
        if samePerson {
            userID = owner.id
            record.userID = owner.id
            record.reason = "already enrolled as \(owner.name) (\(owner.id), similarity \(similar))"
        }
    }

    private func readPhoto(_ file: String) throws(FaceMatrixError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: folder.root.appendingPathComponent(file).path) else {
            throw .invalidImage("the file cannot be read")
        }
        return [UInt8](data)
    }

    /// How a refusal of one photo is recorded; nil for failures that stop the run (the database is down), after
    /// which the same command resumes.
    static func refusal(_ error: FaceMatrixError) -> EnrolmentOutcome? {
        switch error {
        case .faceQualityTooLow: .refusedByQuality
        // A taken email is a detail of the person, not their face.
        case .userAlreadyExists(let detail) where detail.contains("email"): .invalid
        case .userAlreadyExists: .duplicate
        case .faceMismatch: .mismatch
        case .faceNotDetected: .noFace
        case .invalidImage, .imageTooLarge: .unreadable
        case .validationFailed: .invalid
        default: nil
        }
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line every tenth of the way otherwise.
final class ProgressReport: Sendable {
    private struct State {
        var done: Int
        var counts: [EnrolmentOutcome: Int] = [:]
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

    func advance(_ outcome: EnrolmentOutcome) {
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
        let counts = EnrolmentOutcome.allCases.compactMap { outcome in
            state.counts[outcome].map { "\(outcome.rawValue) \($0)" }
        }
        return "[\(bar)] \(state.done)/\(total)  " + counts.joined(separator: " · ")
    }
}
