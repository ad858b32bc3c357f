import FaceMatrixCore
import Foundation
import Recognition

/// Enrols a folder person by person, several people at a time, each person's photos in order.
struct FolderEnrollment: Sendable {
    let service: RecognitionService
    let folder: EnrollmentFolder
    let defaultBirthdate: String?
    let stop: StopRequest
    let jobs: Int

    func run(journalURL: URL) async throws -> Outcome {
        let journal = try EnrollmentJournal(url: journalURL, folder: folder.root.path)
        // Users the journal knows but the database no longer has (erased, or another database) are enrolled again.
        var gone: Set<String> = []
        for (identity, userID) in EnrollmentJournal.users(in: await journal.records) {
            do { _ = try await service.user(id: userID) } catch FaceMatrixError.userNotFound { gone.insert(identity) }
        }
        try await journal.forget(gone)
        let before = await journal.records
        // Done: photos that belong to a user now. Every refused photo is tried again.
        let done = Set(EnrollmentJournal.latest(before).values.filter { $0.userID != nil }.map(\.file))
        let users = EnrollmentJournal.users(in: before)
        let progress = ProgressReport(total: folder.photoCount, done: done.count)
        let started = ContinuousClock.now

        try await withThrowingTaskGroup(of: Void.self) { group in
            var waiting = folder.people.filter { person in person.photos.contains { !done.contains($0) } }[...]
            func startNext() {
                guard let person = waiting.popFirst() else { return }
                group.addTask {
                    try await enroll(
                        person,
                        userID: users[person.identity],
                        done: done,
                        journal: journal,
                        progress: progress
                    )
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
            folder: folder.root.path,
            journal: journalURL.path,
            people: folder.people.count,
            photos: folder.photoCount,
            records: records,
            recordsBefore: before.count,
            seconds: (ContinuousClock.now - started).milliseconds / 1000,
            interrupted: stop.isRequested,
            skipped: folder.skipped
        )
    }

    private func enroll(
        _ person: EnrollmentFolder.Person,
        userID known: String?,
        done: Set<String>,
        journal: EnrollmentJournal,
        progress: ProgressReport
    ) async throws {
        var userID = known
        for file in person.photos where !done.contains(file) {
            guard !stop.isRequested else { return }
            var record = EnrollmentRecord(file: file, identity: person.identity, outcome: .enrolled)
            var bytes: [UInt8] = []
            do {
                bytes = try readPhoto(file)
                if let existing = userID {
                    _ = try await service.addFace(toUser: existing, face: .image(bytes))
                    record = EnrollmentRecord(file: file, identity: person.identity, outcome: .faceAdded)
                } else {
                    let user = try NewUser.validated(
                        name: person.name,
                        birthdate: person.birthdate ?? defaultBirthdate,
                        email: person.email
                    )
                    userID = try await service.addUser(user, face: .image(bytes)).user.id
                }
                record.userID = userID
            } catch let error as FaceMatrixError {
                guard let refused = Self.refusal(error) else { throw error }
                record = EnrollmentRecord(
                    file: file,
                    identity: person.identity,
                    outcome: refused,
                    userID: nil,
                    reason: error.message
                )
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
        _ record: inout EnrollmentRecord,
        bytes: [UInt8],
        person: EnrollmentFolder.Person,
        userID: inout String?
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
    static func refusal(_ error: FaceMatrixError) -> EnrollmentOutcome? {
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
