// Coverage-guided fuzzing of what a photo goes through before the first network: magic-byte sniffing, the header
// checks, JPEG/PNG/WebP/HEIF decoding, EXIF orientation, the working-image reduction, the summed-area table and the
// MTCNN pyramid down to P-Net's input tensor. The inference backend is a stub that stops there.
//
// `make fuzz` builds this with `-sanitize=fuzzer,address -DFUZZING` (see fuzz/FuzzSupport); an ordinary build gets
// an executable that says so.
import FaceInference
import FaceMatrixCore
import FacePipeline
import Foundation
import FuzzSupport
import ImageDecoding

/// Stops every analysis at the first network, after checking the tensor the pipeline built for it.
struct StopAtFirstNetwork: InferenceBackend {
    struct Reached: Error {}

    var runtimeDescription: String { "stub" }

    func run(model: String, inputs: [String: Tensor], outputs: [String]) async throws -> [String: Tensor] {
        for tensor in inputs.values {
            // The element count must match the shape the pipeline declared.
            guard tensor.values.count == tensor.shape.reduce(1, *) else { fatalError("tensor shape mismatch") }
        }
        throw Reached()
    }

    func checkReady() async throws -> String { "stub" }
}

/// Runs `body` to its end on a fresh task and waits for it: libFuzzer's callback is synchronous.
func waitFor(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

let pipeline: FaceAnalysisPipeline = {
    let backend = StopAtFirstNetwork()
    return FaceAnalysisPipeline(
        decoder: ImageDecoder(),
        detector: MTCNNDetector(backend: backend),
        aligner: FaceAligner(method: .boxMargin(margin: 0), width: 128, height: 128),
        embedder: FaceEmbedder(backend: backend, normalization: .mtcnn, dimension: 256),
        modelName: "fuzz",
        modelVersion: "0"
    )
}()

func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    waitFor {
        // Every outcome but a trap is fine: a typed error, no face, or the stub reached.
        _ = try? await pipeline.analyze(bytes, embedding: .main)
    }
    return 0
}

@main
enum Fuzzer {
    static func main() {
        runFuzzer("FuzzImagePipeline", fuzzOneInput)
    }
}
