import FaceMatrixConfiguration
import FaceMatrixCore
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
        #expect(configuration.pipeline.modelDirectory == "/models")
        #expect(configuration.efSearch == 200)
        environment["FACEMATRIX_HNSW_EF_SEARCH"] = "400"
        #expect(try AppConfiguration(environment: environment).efSearch == 400)
    }

    @Test(arguments: [
        ("PORT", "eighty"), ("PORT", "0"), ("PORT", "70000"), ("LOG_LEVEL", "loud"),
        ("FACEMATRIX_TARGET_FAR", "0"), ("FACEMATRIX_TARGET_FAR", "0.9"), ("FACEMATRIX_TARGET_FAR", "1%"),
        ("FACEMATRIX_MATCH_THRESHOLD", "1.5"), ("FACEMATRIX_MATCH_THRESHOLD", "-0.1"),
        ("FACEMATRIX_MATCH_THRESHOLD", "0"), ("FACEMATRIX_INFERENCE", "gpu"), ("FACEMATRIX_TRITON_URL", "not-a-url"),
        ("FACEMATRIX_TRITON_URL", "127.0.0.1:8000"), ("FACEMATRIX_TRITON_URL", "ftp://triton:8000"),
        ("FACEMATRIX_TRITON_TIMEOUT_MS", "5"), ("FACEMATRIX_DATABASE_TIMEOUT_MS", "abc"),
        ("FACEMATRIX_HNSW_EF_SEARCH", "10"), ("FACEMATRIX_HNSW_EF_SEARCH", "5000"),
    ])
    func invalidValuesNameTheirVariable(variable: String, value: String) {
        var environment = minimal
        // The Triton URL is checked when Triton is the runtime.
        environment["FACEMATRIX_INFERENCE"] = "triton"
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
                reason: "is not set; set it to postgres://user:password@host:port/database (`make run` sets it)"
            )
        ) {
            try AppConfiguration(environment: [:])
        }
    }

    @Test func theOperatingPointComesFromTheTargetFARAndTheCalibration() throws {
        let calibrated = MatchThresholds(
            verification: 0.29,
            impostorTail: ImpostorTail(location: 0.077, scale: 0.0373),
            identificationMargin: 0
        )
        var environment = minimal
        let standard = try AppConfiguration(environment: environment).recognition.policy(calibrated: calibrated)
        #expect(standard.targetFalseAcceptRate == 0.01)
        #expect(standard.fixedThreshold == nil)
        environment["FACEMATRIX_TARGET_FAR"] = "0.042"
        let loose = try AppConfiguration(environment: environment).recognition.policy(calibrated: calibrated)
        #expect(loose.targetFalseAcceptRate == 0.042)
        #expect(loose.threshold(forGallerySize: 866) < standard.threshold(forGallerySize: 866))
        environment["FACEMATRIX_MATCH_THRESHOLD"] = "0.6"
        environment["FACEMATRIX_MATCH_MARGIN"] = "0.05"
        let fixed = try AppConfiguration(environment: environment).recognition.policy(calibrated: calibrated)
        #expect(fixed.threshold(forGallerySize: 1) == 0.6 && fixed.threshold(forGallerySize: 100_000) == 0.6)
        #expect(fixed.margin == 0.05)
        // Blank is unset, as for every variable: it once read as a fixed threshold of 0, matching every stranger.
        environment["FACEMATRIX_MATCH_THRESHOLD"] = "  "
        environment["FACEMATRIX_MATCH_MARGIN"] = ""
        let blank = try AppConfiguration(environment: environment).recognition.policy(calibrated: calibrated)
        #expect(blank.fixedThreshold == nil && blank.margin == 0)
        #expect(blank.threshold(forGallerySize: 866) == loose.threshold(forGallerySize: 866))
        #expect(throws: AppConfiguration.InvalidValue.self) {
            try AppConfiguration(environment: environment).recognition.policy(calibrated: nil)
        }
    }

    @Test func aBlankCacheVariableIsUnset() {
        #expect(
            PipelineSettings.cacheDirectory(environment: ["FACEMATRIX_CACHE": " ", "HOME": "/home/a"])
                == "/home/a/.cache/facematrix"
        )
    }

    @Test func anUncalibratedModelNeedsAFixedThreshold() throws {
        var environment = minimal
        #expect(throws: AppConfiguration.InvalidValue.self) {
            try AppConfiguration(environment: environment).recognition.policy(calibrated: nil)
        }
        environment["FACEMATRIX_MATCH_THRESHOLD"] = "0.7"
        let policy = try AppConfiguration(environment: environment).recognition.policy(calibrated: nil)
        #expect(policy.threshold(forGallerySize: 3) == 0.7)
    }

    @Test func aMetricsPortMustDifferFromTheAPIPort() throws {
        let base = ["DATABASE_URL": "postgres://a@b/c", "PORT": "8080"]
        #expect(try AppConfiguration(environment: base).metricsPort == nil)
        #expect(
            try AppConfiguration(environment: base.merging(["FACEMATRIX_METRICS_PORT": "9100"]) { $1 }).metricsPort
                == 9100
        )
        for bad in ["8080", "0", "x"] {
            #expect(throws: AppConfiguration.InvalidValue.self) {
                try AppConfiguration(environment: base.merging(["FACEMATRIX_METRICS_PORT": bad]) { $1 })
            }
        }
    }
}
