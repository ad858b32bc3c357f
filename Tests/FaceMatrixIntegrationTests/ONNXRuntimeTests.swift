import FaceMatrixCore
import Foundation
import ONNXRuntime
import Testing

/// The wrapper against ONNX Runtime itself, with tiny models whose answers are known exactly.
@Suite struct ONNXRuntimeTests {
    static let models: URL = {
        let directory = try! TestEnvironment.temporaryDirectory()
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/make_tiny_models.py").path
        try! TestEnvironment.run(TestEnvironment.venvPython, [script, directory.path])
        return directory
    }()

    static let environment = try! ONNXRuntimeEnvironment.shared()

    @Test func reportsTheLibraryVersion() throws {
        #expect(ONNXRuntimeEnvironment.version.hasPrefix("1.32"))
        #expect(try ONNXRuntimeEnvironment.shared() === Self.environment)
    }

    @Test func gemmGivesTheKnownProduct() throws {
        let session = try ONNXRuntimeSession(
            environment: Self.environment,
            modelPath: Self.models.appendingPathComponent("gemm.onnx").path
        )
        #expect(session.inputs == [TensorInfo(name: "x", shape: [-1, 4], elementType: 1)])
        #expect(session.outputs == [TensorInfo(name: "y", shape: [-1, 3], elementType: 1)])

        let x: [Float] = [1, 2, 3, 4, -1, 0, 0.5, 2]
        let output = try session.run(["x": Tensor(shape: [2, 4], values: x)])
        let y = try #require(output["y"])
        #expect(y.shape == [2, 3])
        // W = arange(12)/10 as 3×4, b = [1, 2, 3]
        let weights = (0..<12).map { Float($0) / 10 }
        let bias: [Float] = [1, 2, 3]
        for row in 0..<2 {
            for column in 0..<3 {
                let expected = (0..<4).reduce(bias[column]) { $0 + x[row * 4 + $1] * weights[column * 4 + $1] }
                #expect(abs(y.values[row * 3 + column] - expected) < 1e-5)
            }
        }
    }

    @Test func convolutionWithDynamicSpatialAxes() throws {
        let session = try ONNXRuntimeSession(
            environment: Self.environment,
            modelPath: Self.models.appendingPathComponent("conv.onnx").path,
            options: SessionOptions(intraOpThreads: 2)
        )
        #expect(session.inputs.first?.shape == [-1, 1, -1, -1])
        let input = Tensor(shape: [1, 1, 4, 5], values: (0..<20).map(Float.init))
        let y = try #require(try session.run(["x": input])["y"])
        #expect(y.shape == [1, 2, 2, 3])
        // Output (channel c, row 0, column 0) = bias[c] + Σ kernel[c] · input[0..<3, 0..<3]
        let kernel = (0..<18).map { Float($0) / 10 }
        for channel in 0..<2 {
            var expected: Float = channel == 0 ? 0.5 : -0.5
            for r in 0..<3 { for c in 0..<3 { expected += kernel[channel * 9 + r * 3 + c] * Float(r * 5 + c) } }
            #expect(abs(y.values[channel * 6] - expected) < 1e-4)
        }
    }

    @Test func oneSessionServesConcurrentCallers() async throws {
        let session = try ONNXRuntimeSession(
            environment: Self.environment,
            modelPath: Self.models.appendingPathComponent("gemm.onnx").path
        )
        let sums = try await withThrowingTaskGroup(of: Float.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try session.run(["x": Tensor(shape: [1, 4], values: [Float(index), 0, 0, 0])])["y"]!.values[1]
                }
            }
            return try await group.reduce(into: [Float]()) { $0.append($1) }.sorted()
        }
        // y[1] = b[1] + W[1][0]·x[0] = 2 + 0.4·index: each caller gets its own answer back.
        for (index, sum) in sums.enumerated() { #expect(abs(sum - (2 + 0.4 * Float(index))) < 1e-5) }
    }

    @Test func wrongInputsAreTypedErrors() throws {
        let session = try ONNXRuntimeSession(
            environment: Self.environment,
            modelPath: Self.models.appendingPathComponent("gemm.onnx").path
        )
        #expect(throws: ONNXRuntimeError.unknownInput("nope")) {
            try session.run(["nope": Tensor(shape: [1, 4], values: [0, 0, 0, 0])])
        }
        #expect(throws: ONNXRuntimeError.shapeMismatch(name: "x", shape: [1, 4], elementCount: 3)) {
            try session.run(["x": Tensor(shape: [1, 4], values: [0, 0, 0])])
        }
        #expect {
            try session.run(["x": Tensor(shape: [1, 5], values: [0, 0, 0, 0, 0])])
        } throws: { error in
            guard case .runtime = error as? ONNXRuntimeError else { return false }
            return true
        }
        #expect(throws: ONNXRuntimeError.self) {
            try ONNXRuntimeSession(environment: Self.environment, modelPath: "/nonexistent/model.onnx")
        }
    }
}
