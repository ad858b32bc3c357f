import Foundation

/// What became of one photo of a folder enrolment.
enum EnrolmentOutcome: String, Codable, CaseIterable, Sendable {
    /// The person's first usable photo: the user was created with it.
    case enrolled
    /// A further photo of a person already enrolled.
    case faceAdded = "face_added"
    /// Below the enrolment quality minimums (422 in the API); the reason says what to change.
    case refusedByQuality = "refused_by_quality"
    /// The face is already enrolled, as someone else or as this person (409 in the API).
    case duplicate
    /// No face found (400/601).
    case noFace = "no_face"
    /// Not a readable image, or too large (400/602, 413/603).
    case unreadable
    /// The person's details were refused (a bad birthdate, name or email; 400/605).
    case invalid
}

/// One line of the journal: a photo and its outcome.
struct EnrolmentRecord: Codable, Sendable {
    let file: String
    let identity: String
    let outcome: EnrolmentOutcome
    /// The user the photo belongs to now (enrolled or face added).
    var userID: String?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case file, identity, outcome
        case userID = "user_id"
        case reason
    }
}

/// An append-only JSON-lines file of the photos done, written as each finishes, so that an interrupted enrolment
/// resumes where it stopped instead of enrolling anyone twice.
actor EnrolmentJournal {
    let url: URL
    private var handle: FileHandle
    private(set) var records: [EnrolmentRecord]

    /// Opens (or creates) the journal, keeping only the records `keep` accepts; the file is rewritten when some
    /// are dropped.
    init(url: URL, keep: (EnrolmentRecord) -> Bool = { _ in true }) throws {
        self.url = url
        let loaded = Self.records(at: url)
        let kept = loaded.filter(keep)
        let manager = FileManager.default
        if kept.count != loaded.count || !manager.fileExists(atPath: url.path) {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Self.encode(kept).write(to: url, options: .atomic)
        }
        records = kept
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// The records of a journal file; none when there is no file yet.
    static func records(at url: URL) -> [EnrolmentRecord] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        let decoder = JSONDecoder()
        // A line cut short by a crash is the only kind that cannot be read; its photo is simply done again.
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            try? decoder.decode(EnrolmentRecord.self, from: Data(line))
        }
    }

    /// The identities enrolled so far and their user ids, from the records.
    static func users(in records: [EnrolmentRecord]) -> [String: String] {
        var users: [String: String] = [:]
        for record in records {
            if let userID = record.userID { users[record.identity] = userID }
        }
        return users
    }

    func append(_ record: EnrolmentRecord) throws {
        try handle.write(contentsOf: Self.encode([record]))
        records.append(record)
    }

    func close() throws {
        try handle.synchronize()
        try handle.close()
    }

    private static func encode(_ records: [EnrolmentRecord]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }
}
