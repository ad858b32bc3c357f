import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What became of one photo of a folder enrolment. Only `enrolled` and `faceAdded` are final: a later run tries
/// every other photo again, since its cause (a detail, a file, a quality setting) may have been fixed.
enum EnrollmentOutcome: String, Codable, CaseIterable, Sendable {
    /// The person's first usable photo: the user was created with it.
    case enrolled
    /// A further photo of a person already enrolled.
    case faceAdded = "face_added"
    /// Below the enrolment quality minimums (422 in the API); the reason says what to change.
    case refusedByQuality = "refused_by_quality"
    /// The face is already enrolled, as someone else or as this person (409 in the API), or belongs to another
    /// person than the one it is filed under (422/611); the reason names the user it matches.
    case duplicate
    /// Filed under a person whose enrolled faces it does not match (1:1, 422/611): a mislabelled photo.
    case mismatch
    /// No face found (400/601).
    case noFace = "no_face"
    /// Not a readable image, or too large (400/602, 413/603).
    case unreadable
    /// The person's details were refused (a bad birthdate, name or email; 400/605).
    case invalid
}

/// One line of the journal: a photo and its outcome.
struct EnrollmentRecord: Codable, Sendable {
    let file: String
    let identity: String
    let outcome: EnrollmentOutcome
    /// The user the photo belongs to now (enrolled, face added, or already enrolled as this person).
    var userID: String?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case file, identity, outcome
        case userID = "user_id"
        case reason
    }
}

/// An append-only JSON-lines file of the photos done, written as each finishes, so that an interrupted enrolment
/// resumes where it stopped instead of enrolling anyone twice. The first line names the folder it belongs to; a
/// run holds an exclusive lock on the file, so two runs cannot interleave their lines.
actor EnrollmentJournal {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The first line.
    private struct Header: Codable {
        let folder: String
    }

    let url: URL
    let folder: String
    private var handle: FileHandle
    /// In the order written; a photo done again (after a refusal) has several, the last one counts.
    private(set) var records: [EnrollmentRecord]

    /// Opens (or creates) the journal of `folder` and locks it.
    /// - Throws: `Problem` when the journal belongs to another folder or another run holds it.
    init(url: URL, folder: String) throws {
        self.url = url
        self.folder = folder
        let manager = FileManager.default
        try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw Problem(description: "cannot create the journal \(url.path)")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: url.path) else {
            throw Problem(description: "cannot open the journal \(url.path) for writing")
        }
        // Held until the process ends (the descriptor closes).
        guard flock(handle.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw Problem(description: "another enrol-folder run is using the journal \(url.path)")
        }
        self.handle = handle
        let (owner, loaded) = Self.read(url)
        if let owner, owner != folder {
            throw Problem(
                description: "the journal \(url.path) belongs to the folder \(owner); choose another with --journal"
            )
        }
        records = loaded
        if owner == nil {
            try Self.rewrite(handle, folder: folder, records: loaded)
        }
        try handle.seekToEnd()
    }

    /// Drops the records of `identities` (their people will be enrolled again), rewriting the file.
    func forget(_ identities: Set<String>) throws {
        guard records.contains(where: { identities.contains($0.identity) }) else { return }
        records.removeAll { identities.contains($0.identity) }
        try Self.rewrite(handle, folder: folder, records: records)
        try handle.seekToEnd()
    }

    private static func rewrite(_ handle: FileHandle, folder: String, records: [EnrollmentRecord]) throws {
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: encode(Header(folder: folder)) + encode(records))
    }

    /// The folder a journal belongs to and its records; none when there is no file yet.
    static func read(_ url: URL) -> (folder: String?, records: [EnrollmentRecord]) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return (nil, []) }
        let decoder = JSONDecoder()
        let lines = data.split(separator: UInt8(ascii: "\n"))
        let folder = lines.first.flatMap { try? decoder.decode(Header.self, from: Data($0)) }?.folder
        // A line cut short by a crash is the only kind that cannot be read; its photo is simply done again.
        let records = lines.compactMap { line in try? decoder.decode(EnrollmentRecord.self, from: Data(line)) }
        return (folder, records)
    }

    /// The last record of each photo.
    static func latest(_ records: [EnrollmentRecord]) -> [String: EnrollmentRecord] {
        records.reduce(into: [:]) { $0[$1.file] = $1 }
    }

    /// The identities enrolled so far and their user ids, from the records.
    static func users(in records: [EnrollmentRecord]) -> [String: String] {
        var users: [String: String] = [:]
        for record in records {
            if let userID = record.userID { users[record.identity] = userID }
        }
        return users
    }

    func append(_ record: EnrollmentRecord) throws {
        try handle.write(contentsOf: Self.encode([record]))
        records.append(record)
    }

    func close() throws {
        try handle.synchronize()
        try handle.close()
    }

    private static func encode(_ header: Header) throws -> Data {
        var data = try JSONEncoder().encode(header)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    private static func encode(_ records: [EnrollmentRecord]) throws -> Data {
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
