// swift-tools-version: 6.0
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The pixel loops (pyramids, crops, warps) run 50–100× slower unoptimised, which would make every test that
/// looks at real photos crawl; the modules that hold them are optimised in debug builds too.
let optimizedEvenInDebug: [SwiftSetting] = strictSwift + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "FaceMatrix",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "facematrix", targets: ["FaceMatrixCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.25.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV.git", from: "0.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Domain types, errors and decision rules. No I/O.
        .target(name: "FaceMatrixCore", swiftSettings: strictSwift),

        // ONNX Runtime's C API, and a small Swift wrapper over it.
        .systemLibrary(name: "CONNXRuntime", path: "Sources/CONNXRuntime", pkgConfig: "libonnxruntime"),
        .target(name: "ONNXRuntime", dependencies: ["CONNXRuntime", "FaceMatrixCore"], swiftSettings: strictSwift),

        // The inference seam: the backend protocol and its errors, with no runtime behind it.
        .target(name: "FaceInference", dependencies: ["FaceMatrixCore"], swiftSettings: strictSwift),

        // ONNX Runtime in this process, behind the seam.
        .target(
            name: "FaceInferenceONNXRuntime",
            dependencies: [
                "FaceInference", "FaceMatrixCore", "ONNXRuntime",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // OpenVINO's C API (the library and headers from the pinned wheel, installed by scripts/setup.sh), and
        // OpenVINO's CPU plugin in this process behind the seam.
        .systemLibrary(name: "COpenVINO", path: "Sources/COpenVINO", pkgConfig: "openvino_c"),
        .target(
            name: "FaceInferenceOpenVINO",
            dependencies: [
                "COpenVINO", "FaceInference", "FaceMatrixCore",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // NVIDIA Triton Inference Server over KServe v2 HTTP (binary tensors), behind the seam.
        .target(
            name: "FaceInferenceTriton",
            dependencies: [
                "FaceInference", "FaceMatrixCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // JPEG (libjpeg-turbo), PNG (libspng), WebP (libwebp), HEIF (libheif) and EXIF (libexif) decoding.
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs"),
        .target(name: "ImageDecoding", dependencies: ["CImageCodecs"], swiftSettings: optimizedEvenInDebug),

        // decode → detect (MTCNN) → align → embed.
        .target(
            name: "FacePipeline",
            dependencies: [
                "FaceMatrixCore", "FaceInference", "ImageDecoding",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: optimizedEvenInDebug
        ),

        // Accuracy on LFW and calibration of the decision thresholds.
        .target(name: "FaceMatrixEvaluation", dependencies: ["FaceMatrixCore"], swiftSettings: optimizedEvenInDebug),

        // Settings read from the environment that the CLI tools and the bench share with the service (no server).
        .target(
            name: "FaceMatrixConfiguration",
            dependencies: [
                "FaceMatrixCore", "FacePipeline", "FaceInference", "FaceInferenceONNXRuntime", "FaceInferenceOpenVINO",
                "FaceInferenceTriton", "ImageDecoding", "ONNXRuntime",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),

        // PostgreSQL + pgvector: connection, migrations, the face repository (and its in-memory twin).
        .target(
            name: "FaceStore",
            dependencies: [
                "FaceMatrixCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),

        // The use cases: recognize, enroll, verify, add a face, look up and erase users.
        .target(
            name: "Recognition",
            dependencies: [
                "FaceMatrixCore", "FaceInference", "FacePipeline", "FaceStore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),

        // HTTP API (Hummingbird): routes, the error contract, API keys, health, metrics, the try-it page.
        .target(
            name: "FaceMatrixServer",
            dependencies: [
                "FaceMatrixCore", "FaceStore", "FaceInference", "FacePipeline", "ImageDecoding",
                "Recognition", "FaceMatrixHTTP", "FaceMatrixConfiguration",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Web")],
            swiftSettings: strictSwift
        ),

        .executableTarget(
            name: "FaceMatrixCLI",
            dependencies: [
                "FaceMatrixServer", "FaceMatrixConfiguration", "FaceMatrixCore", "FacePipeline", "FaceInference",
                "FaceInferenceOpenVINO", "FaceInferenceTriton",
                "FaceMatrixEvaluation", "Recognition", "FaceStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            swiftSettings: strictSwift
        ),

        // `make bench-pipeline`: stage times, throughput and the ratio to ONNX Runtime alone.
        .executableTarget(
            name: "FaceMatrixBench",
            dependencies: [
                "FaceMatrixCore", "FaceMatrixConfiguration", "FacePipeline", "FaceInference", "ImageDecoding",
                "FaceMatrixTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/Sources/FaceMatrixBench",
            swiftSettings: strictSwift
        ),

        // Request bodies and headers as bytes: multipart, JSON, X-Request-ID (no server, so the fuzzer reaches it).
        .target(
            name: "FaceMatrixHTTP",
            dependencies: [
                "FaceMatrixCore",
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "FuzzRequestParsing",
            dependencies: ["FaceMatrixHTTP", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "fuzz/FuzzRequestParsing",
            swiftSettings: strictSwift
        ),
        .target(name: "FuzzSupport", path: "fuzz/FuzzSupport", swiftSettings: strictSwift),
        // libFuzzer target: `make fuzz` (scripts/fuzz.sh) builds it with -sanitize=fuzzer,address -DFUZZING.
        .executableTarget(
            name: "FuzzImagePipeline",
            dependencies: ["FaceInference", "FaceMatrixCore", "FacePipeline", "ImageDecoding", "FuzzSupport"],
            path: "fuzz/FuzzImagePipeline",
            swiftSettings: strictSwift
        ),

        // Helpers shared by the test targets: the shared photos, encoders that build test images at run time.
        .target(
            name: "FaceMatrixTestSupport",
            dependencies: [
                "CImageCodecs", "ImageDecoding", "FaceMatrixCore", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift
        ),

        // Fast tests: no database, no models.
        .testTarget(
            name: "FaceMatrixUnitTests",
            dependencies: [
                "FaceMatrixCore", "FaceMatrixServer", "FaceMatrixConfiguration", "ImageDecoding", "CImageCodecs",
                "FacePipeline", "FaceMatrixTestSupport", "Recognition", "FaceStore", "FaceMatrixEvaluation",
                "FaceMatrixHTTP", "FaceInference", "FaceInferenceTriton",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwift
        ),
        // Real PostgreSQL (DATABASE_URL), real models, real photos.
        .testTarget(
            name: "FaceMatrixIntegrationTests",
            dependencies: [
                "FaceMatrixCore", "FaceMatrixServer", "FaceMatrixConfiguration", "FaceStore", "ONNXRuntime",
                "FacePipeline", "FaceInference", "FaceInferenceONNXRuntime", "FaceInferenceOpenVINO", "ImageDecoding",
                "CImageCodecs", "FaceMatrixTestSupport",
                "Recognition", "FaceMatrixEvaluation",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
