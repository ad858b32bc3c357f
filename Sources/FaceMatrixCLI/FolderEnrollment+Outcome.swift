import Foundation

extension FolderEnrollment {
    struct Outcome: Sendable {
        let folder: String
        let journal: String
        let people: Int
        let photos: Int
        /// Every photo done, in this run and in earlier ones (a photo tried again has several records).
        let records: [EnrollmentRecord]
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
            let latest = EnrollmentJournal.latest(records).values.sorted { $0.file < $1.file }
            var counts: [String: Int] = [:]
            for outcome in EnrollmentOutcome.allCases { counts[outcome.rawValue] = 0 }
            for record in latest { counts[record.outcome.rawValue, default: 0] += 1 }
            func listed(_ outcome: EnrollmentOutcome) -> [Listed] {
                latest.filter { $0.outcome == outcome }.map { record in
                    Listed(file: record.file, identity: record.identity, reason: record.reason ?? "")
                }
            }
            let doneNow = records.count - recordsBefore
            let users = EnrollmentJournal.users(in: latest)
            let report = Report(
                folder: folder,
                journal: journal,
                people: people,
                photos: photos,
                peopleEnrolled: users.count,
                users: users,
                counts: counts,
                remaining: photos - latest.count,
                interrupted: interrupted,
                thisRun: ThisRun(
                    photos: doneNow,
                    seconds: (seconds * 10).rounded() / 10,
                    photosPerSecond: seconds > 0 ? (Double(doneNow) / seconds * 10).rounded() / 10 : 0
                ),
                refusedByQuality: listed(.refusedByQuality),
                duplicates: listed(.duplicate),
                mismatches: listed(.mismatch),
                noFace: listed(.noFace),
                unreadable: listed(.unreadable),
                invalid: listed(.invalid),
                skippedRows: skipped
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(report)
        }
    }
}
