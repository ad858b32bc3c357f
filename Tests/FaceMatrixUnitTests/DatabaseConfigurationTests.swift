import FaceStore
import Testing

@Suite struct DatabaseConfigurationTests {
    @Test func parsesAFullURL() throws {
        let configuration = try DatabaseConfiguration(
            url: "postgres://face%40app:s3cr%2Ft@db.internal:6543/faces?sslmode=require"
        )
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "face@app")
        #expect(configuration.password == "s3cr/t")
        #expect(configuration.database == "faces")
        #expect(configuration.requireTLS)
    }

    @Test func defaultsPortAndTLS() throws {
        let configuration = try DatabaseConfiguration(url: "postgresql://me@localhost/db")
        #expect(configuration.port == 5432)
        #expect(configuration.password == nil)
        #expect(!configuration.requireTLS)
    }

    @Test func rejectsWhatIsNotAPostgresURL() {
        #expect(throws: DatabaseConfiguration.ParseError.unsupportedScheme("mysql")) {
            try DatabaseConfiguration(url: "mysql://u@h/db")
        }
        #expect(throws: DatabaseConfiguration.ParseError.missingDatabase) {
            try DatabaseConfiguration(url: "postgres://u@h:5432/")
        }
        #expect(throws: DatabaseConfiguration.ParseError.unsupportedSSLMode("verify-full")) {
            try DatabaseConfiguration(url: "postgres://u@h/db?sslmode=verify-full")
        }
    }
}
