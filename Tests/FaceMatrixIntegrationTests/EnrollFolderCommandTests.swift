import FaceMatrixTestSupport
import FaceStore
import Foundation
import PostgresNIO
import Testing

/// `facematrix enrol-folder` end to end: the real binary, real photos, a fresh PostgreSQL database each.
@Suite(.serialized) struct EnrollFolderCommandTests {
    /// `DATABASE_URL` pointed at another database of the same server.
    static func url(ofDatabase name: String) throws -> String {
        guard var components = URLComponents(string: try TestEnvironment.databaseURL) else {
            throw MissingPrerequisite("DATABASE_URL is not a URL")
        }
        components.path = "/\(name)"
        return try #require(components.string)
    }

    static func enroll(_ arguments: [String], database: String, environment extra: [String: String] = [:]) throws
        -> (status: Int32, summary: [String: Any], stderr: String)
    {
        var environment = ProcessInfo.processInfo.environment
        environment["FACEMATRIX_MODEL_DIR"] = TestModels.directory
        environment["DATABASE_URL"] = try url(ofDatabase: database)
        environment.merge(extra) { _, new in new }
        let execution = try TestEnvironment.execute(
            try EvaluateCommandTests.binary,
            ["enrol-folder"] + arguments,
            environment: environment
        )
        #expect(execution.reason == .exit, "the command must exit, not die from a signal")
        let summary =
            (try? JSONSerialization.jsonObject(with: Data(execution.stdout.utf8))) as? [String: Any] ?? [:]
        return (execution.status, summary, execution.stderr)
    }

    static func link(_ shared: String, as path: String, in root: URL) throws {
        let destination = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try FileManager.default.createSymbolicLink(
            at: destination,
            withDestinationURL: try TestData.facesDirectory().appendingPathComponent(shared)
        )
    }

    static func users(_ database: Database) async throws -> [String: String?] {
        var users: [String: String?] = [:]
        let rows = try await database.client.query("SELECT name, email FROM users", logger: database.logger)
        for try await (name, email) in rows.decode((String, String?).self) { users[name] = email }
        return users
    }

    /// One sub-folder per person: every outcome the service can give a photo, each recorded with its reason.
    @Test func everyPhotoGetsTheServicesVerdictAndASecondRunChangesNothing() async throws {
        let root = try TestEnvironment.temporaryDirectory()
        try Self.link("face_recognition/examples/obama.jpg", as: "barack_obama/a.jpg", in: root)
        try Self.link("face_recognition/examples/obama_small.jpg", as: "barack_obama/b-small.jpg", in: root)
        try Self.link("face_recognition/tests/test_images/obama3.jpg", as: "barack_obama/c.jpg", in: root)
        try "not a photo".write(
            to: root.appendingPathComponent("barack_obama/notes.txt"),
            atomically: false,
            encoding: .utf8
        )
        try Self.link("face_recognition/examples/biden.jpg", as: "joe_biden/a.jpg", in: root)
        try Self.link("face_recognition/examples/obama2.jpg", as: "joe_biden/b-impostor.jpg", in: root)
        try Self.link("facenet-pytorch/test_images/noise/1.jpg", as: "no_one/noise.jpg", in: root)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("broken"),
            withIntermediateDirectories: true
        )
        try "<html>".write(to: root.appendingPathComponent("broken/x.jpg"), atomically: false, encoding: .utf8)
        try "identity,name,birthdate,email\njoe_biden,Joe Biden,1942-11-20,joe@example.org\n".write(
            to: root.appendingPathComponent("people.csv"),
            atomically: false,
            encoding: .utf8
        )
        let journal = root.appendingPathComponent("journal.jsonl").path

        try await withFreshDatabase { database, configuration in
            let name = configuration.database
            // A face smaller than 150 px is refused, so obama_small (110 px) shows the quality gate. One person at a
            // time, so that Obama is enrolled before his photo in Biden's folder is checked.
            let arguments = [root.path, "--birthdate", "1961-08-04", "--journal", journal, "--jobs", "1"]
            let quality = ["FACEMATRIX_ENROLL_MIN_FACE_SIZE": "150"]
            let first = try Self.enroll(arguments, database: name, environment: quality)
            #expect(first.status == 0, "\(first.stderr)")
            let counts = try #require(first.summary["counts"] as? [String: Int])
            #expect(
                counts == [
                    "enrolled": 2, "face_added": 1, "refused_by_quality": 1, "duplicate": 1, "mismatch": 0,
                    "no_face": 1, "unreadable": 1, "invalid": 0,
                ]
            )
            #expect(first.summary["people_enrolled"] as? Int == 2)
            #expect(first.summary["remaining"] as? Int == 0)
            let refused = try #require((first.summary["refused_by_quality"] as? [[String: String]])?.first)
            #expect(refused["file"] == "barack_obama/b-small.jpg")
            #expect(refused["reason"]?.contains("below 150") == true)
            let duplicate = try #require((first.summary["duplicates"] as? [[String: String]])?.first)
            #expect(duplicate["file"] == "joe_biden/b-impostor.jpg")
            let users = try #require(first.summary["users"] as? [String: String])
            let obama = try #require(users["barack_obama"])
            #expect(duplicate["reason"]?.contains("it is Barack Obama (\(obama)") == true)
            #expect((first.summary["no_face"] as? [[String: String]])?.first?["file"] == "no_one/noise.jpg")
            #expect((first.summary["unreadable"] as? [[String: String]])?.first?["file"] == "broken/x.jpg")
            #expect((first.summary["skipped_rows"] as? [String])?.contains { $0.contains("notes.txt") } == true)
            #expect(try await Self.users(database) == ["Barack Obama": nil, "Joe Biden": "joe@example.org"])

            // Again: what was enrolled is done; each refused photo is tried again, with the same verdict.
            let second = try Self.enroll(arguments, database: name, environment: quality)
            #expect(second.status == 0)
            #expect((second.summary["this_run"] as? [String: Any])?["photos"] as? Int == 4)
            #expect(second.summary["counts"] as? [String: Int] == counts)
            #expect(try await Self.users(database).count == 2)

            // The same people imported again under a fresh journal: recognised as already enrolled (same names),
            // so nobody is enrolled twice and no face is stored twice.
            let fresh = arguments.dropLast(4) + ["--journal", root.appendingPathComponent("other.jsonl").path]
            let third = try Self.enroll(Array(fresh) + ["--jobs", "1"], database: name, environment: quality)
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.summary["users"] as? [String: String] == users)
            #expect((third.summary["counts"] as? [String: Int])?["enrolled"] == 0)
            #expect(try await Self.users(database).count == 2)
            var faces = 0
            for try await count in try await database.client.query("SELECT count(*) FROM faces").decode(Int.self) {
                faces = count
            }
            #expect(faces == 3)

            // A journal is its folder's: another folder's is refused, as is a second run on a journal in use.
            let elsewhere = try TestEnvironment.temporaryDirectory()
            try Self.link("face_recognition/examples/biden.jpg", as: "joe_biden/a.jpg", in: elsewhere)
            let foreign = try Self.enroll([elsewhere.path, "--journal", journal], database: name)
            #expect(foreign.status == 1)
            #expect(foreign.stderr.contains("belongs to the folder \(root.path)"))
        }
    }

    /// Ctrl-C halfway: the photos in flight finish, the run says it was interrupted, and the same command then
    /// enrols the rest without enrolling anyone twice.
    @Test func anInterruptedEnrollmentResumesWhereItStopped() async throws {
        let rows = try EvaluateCommandTests.lfwRows(people: 40)
        let root = try EvaluateCommandTests.folder(
            labels: "file,identity\n" + rows.map { "\($0.file),\($0.identity)" }.joined(separator: "\n") + "\n"
        )
        let journal = root.appendingPathComponent("journal.jsonl")
        try await withFreshDatabase { database, configuration in
            let name = configuration.database
            var environment = ProcessInfo.processInfo.environment
            environment["FACEMATRIX_MODEL_DIR"] = TestModels.directory
            environment["DATABASE_URL"] = try Self.url(ofDatabase: name)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try EvaluateCommandTests.binary)
            process.arguments = ["enrol-folder", root.path, "--birthdate", "1970-01-01", "--journal", journal.path]
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Interrupt once a few photos are journaled.
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning,
                (FileManager.default.contents(atPath: journal.path)?.filter { $0 == UInt8(ascii: "\n") }.count ?? 0) < 8
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            process.interrupt()
            let printed = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 130)
            let interrupted = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
            #expect(interrupted["interrupted"] as? Bool == true)
            let remaining = try #require(interrupted["remaining"] as? Int)
            #expect(remaining > 0 && remaining < rows.count)

            let resumed = try Self.enroll(
                [root.path, "--birthdate", "1970-01-01", "--journal", journal.path],
                database: name
            )
            #expect(resumed.status == 0)
            #expect(resumed.summary["remaining"] as? Int == 0)
            // The rest, and the photos refused before (each is tried again).
            #expect(try #require((resumed.summary["this_run"] as? [String: Any])?["photos"] as? Int) >= remaining)
            let enrolled = try #require(resumed.summary["people_enrolled"] as? Int)
            #expect((resumed.summary["users"] as? [String: String])?.count == enrolled)
            #expect(enrolled >= 38, "LFW people with two photos are enrolled, bar the odd duplicate or miss")
            // Each person once: as many users as people enrolled, and as many faces as photos accepted.
            let users = try await Self.users(database)
            #expect(users.count == enrolled)
            let counts = try #require(resumed.summary["counts"] as? [String: Int])
            var faces = 0
            for try await count in try await database.client.query("SELECT count(*) FROM faces").decode(Int.self) {
                faces = count
            }
            #expect(faces == (counts["enrolled"] ?? 0) + (counts["face_added"] ?? 0))
        }
    }
}
