import FaceMatrixServer
import Logging
import Testing

@Suite struct AppConfigurationTests {
    let minimal = ["DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db"]

    @Test func defaultsApplyWhenOnlyTheDatabaseIsGiven() throws {
        let configuration = try AppConfiguration(environment: minimal)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 8080)
        #expect(configuration.logLevel == .info)
        #expect(configuration.databaseURL == minimal["DATABASE_URL"])
    }

    @Test func valuesAreReadFromTheEnvironment() throws {
        var environment = minimal
        environment["PORT"] = "9090"
        environment["HOST"] = "127.0.0.1"
        environment["LOG_LEVEL"] = "DEBUG"
        environment["FACEMATRIX_MODEL_DIR"] = "/models"
        let configuration = try AppConfiguration(environment: environment)
        #expect(configuration.port == 9090)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.modelDirectory == "/models")
    }

    @Test(arguments: [
        ("PORT", "eighty"), ("PORT", "0"), ("PORT", "70000"), ("LOG_LEVEL", "loud"),
    ])
    func invalidValuesNameTheirVariable(variable: String, value: String) {
        var environment = minimal
        environment[variable] = value
        #expect(throws: AppConfiguration.InvalidValue.self) { try AppConfiguration(environment: environment) }
        do {
            _ = try AppConfiguration(environment: environment)
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.contains(variable))
            #expect(error.description.contains(value))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func missingDatabaseURLIsAnError() {
        #expect(
            throws: AppConfiguration.InvalidValue(
                variable: "DATABASE_URL",
                reason: "is not set; set it to postgres://user:password@host:port/database (`make run` sets it)")
        ) {
            try AppConfiguration(environment: [:])
        }
    }
}
