import ArgumentParser
import FaceMatrixCore
import FaceMatrixServer
import FaceStore
import Foundation
import Logging

/// `facematrix keys create|list|revoke`: API keys stored in the service's database (`DATABASE_URL`).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys (stored in DATABASE_URL's database as salted hashes).",
        discussion: """
            Once a key exists (or FACEMATRIX_API_KEYS is set), every /api/ request needs one: 'recognise' keys may \
            recognise and verify, 'admin' keys may also enrol, add faces, read and erase users. A running service \
            sees new and revoked keys within 5 seconds.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (shown only once).")

        @Option(help: "recognise (recognise and verify) or admin (everything).")
        var role: String

        @Option(help: "What the key is for, e.g. 'front door'.")
        var name: String = ""

        func validate() throws {
            guard APIRole(rawValue: role) != nil else { throw ValidationError("--role must be recognise or admin") }
            guard name.count <= 200 else { throw ValidationError("--name must be at most 200 characters") }
        }

        func run() async throws {
            guard let role = APIRole(rawValue: role) else { throw ExitCode.validationFailure }
            let name = name
            try await withRepository { repository in
                let made = APIKeyFormat.make()
                try await repository.insert(
                    id: made.id,
                    role: role,
                    name: name,
                    salt: made.salt,
                    secretHash: made.secretHash
                )
                print(made.key)
                printError("created key \(made.id) (\(role.rawValue)); it is shown only now")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (never their secrets).")

        func run() async throws {
            try await withRepository { repository in
                let formatter = ISO8601DateFormatter()
                for key in try await repository.all() {
                    let state = key.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
                    print(
                        [key.id, key.role.rawValue, formatter.string(from: key.createdAt), state, key.name]
                            .joined(separator: "\t")
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")

        @Argument(help: "The key's id (the 16 hex digits after fmk_, as `keys list` shows).")
        var id: String

        func run() async throws {
            try await withRepository { repository in
                guard try await repository.revoke(id: id) else {
                    printError("no active key with id \(id)")
                    throw ExitCode.failure
                }
                printError("revoked key \(id)")
            }
        }
    }
}

/// Runs `body` with the key repository of `DATABASE_URL`'s database, migrated to the current schema.
private func withRepository(_ body: @Sendable (APIKeyRepository) async throws -> Void) async throws {
    guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
        printError(
            "DATABASE_URL is not set; for `make run`'s database: DATABASE_URL=$(scripts/postgres.sh url .data/postgres)"
        )
        throw ExitCode.failure
    }
    var logger = Logger(label: "facematrix")
    logger.logLevel = .warning
    let database = Database(configuration: try DatabaseConfiguration(url: url), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await database.run() }
        defer { group.cancelAll() }
        try await database.migrate()
        try await body(APIKeyRepository(database: database))
    }
}
