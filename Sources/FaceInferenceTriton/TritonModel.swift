public import FaceMatrixCore
import Foundation

/// A model on the Triton server that serves one pipeline role, with the tensors its manifest promises.
public struct TritonModel: Sendable, Equatable {
    /// The model's name in Triton's repository, e.g. "rnet" or "face-reidentification-retail-0095".
    public var name: String
    /// The version directory to run; nil for the server's choice. Pinning it keeps a newer version, which would
    /// give embeddings not comparable with the stored ones, from being picked up silently.
    public var version: String?
    /// The inputs the pipeline sends, as in the model's manifest (-1 for a dynamic axis).
    public var inputs: [ModelManifest.TensorSpec]
    /// The outputs the pipeline reads, as in the model's manifest.
    public var outputs: [ModelManifest.TensorSpec]
    /// The .onnx file's sha256 from the manifest. The tooling writes it into each model's Triton configuration
    /// (`parameters.facematrix_sha256`), so that other weights under the same name, whose embeddings would not be
    /// comparable with the stored ones, are refused at start.
    public var sha256: String?

    /// Describes one model.
    public init(
        name: String,
        version: String?,
        inputs: [ModelManifest.TensorSpec],
        outputs: [ModelManifest.TensorSpec],
        sha256: String? = nil
    ) {
        self.name = name
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.sha256 = sha256
    }

    /// `/v2/models/<name>[/versions/<version>]`, the name percent-encoded.
    var path: String {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let encodedName = name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? name
        return "/v2/models/\(encodedName)" + (version.map { "/versions/\($0)" } ?? "")
    }

    /// Why the server's metadata for this model does not fit the manifest; nil when it fits.
    ///
    /// Every manifest input and output must be there, as FP32, with the same rank; an axis the manifest fixes may
    /// be fixed to the same size or dynamic on the server, an axis the manifest leaves dynamic must be dynamic there.
    func mismatch(with metadata: TritonModelMetadata) -> String? {
        for (expected, side, served) in inputs.map({ ($0, "input", metadata.inputs) })
            + outputs.map({ ($0, "output", metadata.outputs) })
        {
            guard let tensor = served.first(where: { $0.name == expected.name }) else {
                return "Triton's '\(name)' has no \(side) '\(expected.name)' (it has \(served.map(\.name)))"
            }
            if let reason = Self.mismatch(expected, tensor) { return "\(side) '\(expected.name)' \(reason)" }
        }
        return nil
    }

    private static func mismatch(_ expected: ModelManifest.TensorSpec, _ served: TritonModelMetadata.Tensor)
        -> String?
    {
        guard served.datatype == "FP32", expected.dtype == "float32" else {
            return "is \(served.datatype) on Triton, \(expected.dtype) in the manifest"
        }
        let fits =
            served.shape.count == expected.shape.count
            && zip(expected.shape, served.shape).allSatisfy { want, have in have == -1 || (want != -1 && want == have) }
        return fits ? nil : "has the shape \(served.shape) on Triton, \(expected.shape) in the manifest"
    }
}

/// `GET /v2/models/<name>/config`: the parts of the model's configuration the client uses.
struct TritonModelConfiguration: Decodable {
    struct Parameter: Decodable {
        let stringValue: String?
        enum CodingKeys: String, CodingKey { case stringValue = "string_value" }
    }
    /// The most rows one request may carry; 0 when the model takes no batch axis.
    let maxBatchSize: Int
    let parameters: [String: Parameter]?
    enum CodingKeys: String, CodingKey {
        case maxBatchSize = "max_batch_size"
        case parameters
    }

    /// The weights' sha256 the tooling recorded, when it did.
    var sha256: String? { parameters?["facematrix_sha256"]?.stringValue }
}

/// `GET /v2/models/<name>`: what the server says a model takes and gives.
struct TritonModelMetadata: Decodable {
    struct Tensor: Decodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }
    let name: String
    let inputs: [Tensor]
    let outputs: [Tensor]
}

/// A model on the Triton server is not the one its manifest describes: the service refuses to start.
public struct TritonModelMismatch: Error, Equatable, CustomStringConvertible {
    /// The model's name on the server.
    public let model: String
    /// What differs, naming the tensor.
    public let reason: String

    /// A one-line message for the start-up log.
    public var description: String { "Triton's model '\(model)' does not match its manifest: \(reason)" }
}
