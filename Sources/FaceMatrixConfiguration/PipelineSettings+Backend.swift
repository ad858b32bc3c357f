public import FaceInference
import FaceInferenceONNXRuntime
import FaceInferenceOpenVINO
import FaceInferenceTriton
import FaceMatrixCore
public import FacePipeline
import ONNXRuntime

/// What runs the pipeline's networks (`FACEMATRIX_INFERENCE`).
public enum InferenceRuntime: String, Sendable, CaseIterable {
    /// ONNX Runtime in this process.
    case onnxruntime
    /// OpenVINO's CPU plugin in this process.
    case openvino
    /// NVIDIA Triton Inference Server at `FACEMATRIX_TRITON_URL`.
    case triton

    /// The runtimes that run in this process and need nothing else running.
    public static let inProcess: [InferenceRuntime] = [.openvino, .onnxruntime]
}

extension PipelineSettings {
    /// The chosen runtime with every model of `models` loaded.
    ///
    /// - Throws: the runtime's error (`ONNXRuntimeError`, `OpenVINOError`) when it cannot load a model.
    public func makeBackend(models: FaceModels) throws -> any InferenceBackend {
        switch inference {
        case .onnxruntime:
            try ONNXRuntimeBackend(
                environment: try ONNXRuntimeEnvironment.shared(),
                models: models.paths,
                options: SessionOptions(intraOpThreads: intraOpThreads),
                concurrentRuns: inferenceWorkers
            )
        case .openvino:
            try OpenVINOBackend(models: models.paths, threadsPerRun: intraOpThreads, concurrentRuns: inferenceWorkers)
        case .triton:
            TritonBackend(baseURL: tritonURL, models: models.tritonModels(), timeout: tritonTimeout)
        }
    }
}

extension FaceModels {
    /// The Triton model serving each role, named as the tooling names them in its repository: the MTCNN stages by
    /// role, the embedder by its manifest's name; version 1, the only one the tooling writes.
    func tritonModels() -> [String: TritonModel] {
        var models: [String: TritonModel] = [:]
        for role in paths.keys {
            let isEmbedder = role == "embedder"
            let network = detector.networks?[role]
            models[role] = TritonModel(
                name: isEmbedder ? embedder.name : role,
                version: "1",
                inputs: (isEmbedder ? embedder.inputs : network?.inputs) ?? [],
                outputs: (isEmbedder ? embedder.outputs : network?.outputs) ?? [],
                sha256: isEmbedder ? embedder.file(role: "model")?.sha256 : detector.file(role: role)?.sha256
            )
        }
        return models
    }
}
