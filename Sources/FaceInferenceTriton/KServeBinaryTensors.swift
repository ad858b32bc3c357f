public import FaceMatrixCore
import Foundation

/// KServe v2 inference bodies with Triton's binary-tensor extension: a JSON header followed by the raw little-endian
/// tensors, the header's length in `Inference-Header-Content-Length`. JSON tensors cost ~300 ms for one
/// 3×160×160 input on Triton; binary ones a few milliseconds.
///
/// Source: the KServe v2 inference protocol and Triton's "binary tensor data extension" (triton-inference-server
/// docs, protocol/extension_binary_data.md).
public enum KServeBinaryTensors {
    /// The header that carries the JSON part's length in bytes.
    public static let headerLengthField = "Inference-Header-Content-Length"

    /// A request body for `POST /v2/models/<name>/infer`.
    ///
    /// - Parameters:
    ///   - inputs: Float32 tensors by input name; sent in name order.
    ///   - outputs: The outputs wanted, each asked for as binary data.
    /// - Returns: The body and the JSON header's length for `Inference-Header-Content-Length`.
    public static func requestBody(inputs: [String: Tensor], outputs: [String]) -> (body: [UInt8], headerLength: Int) {
        let ordered = inputs.sorted { $0.key < $1.key }
        let header = RequestHeader(
            inputs: ordered.map { name, tensor in
                .init(
                    name: name,
                    shape: tensor.shape,
                    datatype: "FP32",
                    parameters: .init(binaryDataSize: tensor.values.count * MemoryLayout<Float>.size)
                )
            },
            outputs: outputs.map { .init(name: $0, parameters: .init(binaryData: true)) }
        )
        var body = Array((try? encoder.encode(header)) ?? Data())
        let headerLength = body.count
        for (_, tensor) in ordered {
            // Every platform Swift runs this service on is little-endian, as the extension requires.
            tensor.values.withUnsafeBytes { body.append(contentsOf: $0) }
        }
        return (body, headerLength)
    }

    /// Reads a response body: the JSON header (`headerLength` bytes, the whole body when nil), then each output's
    /// raw bytes in the header's order.
    ///
    /// - Returns: The float32 outputs by name.
    /// - Throws: `KServeResponseError` for a header that is not the protocol's JSON, an output that is not FP32, or
    ///   sizes that disagree with the shapes or the body; never traps, whatever the server sends.
    public static func outputs(from body: [UInt8], headerLength: Int?) throws(KServeResponseError) -> [String: Tensor] {
        let jsonLength = headerLength ?? body.count
        guard jsonLength >= 0, jsonLength <= body.count else {
            throw .malformed("the header length \(jsonLength) exceeds the body's \(body.count) bytes")
        }
        let header: ResponseHeader
        do {
            header = try JSONDecoder().decode(ResponseHeader.self, from: Data(body[0..<jsonLength]))
        } catch {
            throw .malformed("the header is not a KServe v2 response: \(error)")
        }
        var offset = jsonLength
        var tensors: [String: Tensor] = [:]
        for output in header.outputs {
            let (tensor, size) = try decode(output, from: body, at: offset)
            tensors[output.name] = tensor
            offset += size
        }
        return tensors
    }

    private static func decode(_ output: ResponseHeader.Output, from body: [UInt8], at offset: Int)
        throws(KServeResponseError) -> (Tensor, Int)
    {
        guard output.datatype == "FP32" else { throw .malformed("output '\(output.name)' is \(output.datatype)") }
        guard let count = elementCount(output.shape),
            count <= Int.max / MemoryLayout<Float>.size
        else { throw .malformed("output '\(output.name)' has the shape \(output.shape)") }
        let size = count * MemoryLayout<Float>.size
        guard let declared = output.parameters?.binaryDataSize else {
            throw .malformed("output '\(output.name)' came as JSON, not as binary data")
        }
        guard declared == size, size <= body.count - offset else {
            throw .malformed("output '\(output.name)' declares \(declared) bytes for \(count) floats")
        }
        let values = body[offset..<(offset + size)].withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Float>.size, as: Float.self) }
        }
        return (Tensor(shape: output.shape, values: values), size)
    }

    /// The product of the dimensions; nil for a negative dimension or an overflow.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    private struct RequestHeader: Encodable {
        struct Input: Encodable {
            struct Parameters: Encodable { let binaryDataSize: Int }
            let name: String
            let shape: [Int]
            let datatype: String
            let parameters: Parameters
        }
        struct Output: Encodable {
            struct Parameters: Encodable { let binaryData: Bool }
            let name: String
            let parameters: Parameters
        }
        let inputs: [Input]
        let outputs: [Output]
    }

    private struct ResponseHeader: Decodable {
        struct Output: Decodable {
            struct Parameters: Decodable {
                let binaryDataSize: Int?
                enum CodingKeys: String, CodingKey { case binaryDataSize = "binary_data_size" }
            }
            let name: String
            let datatype: String
            let shape: [Int]
            let parameters: Parameters?
        }
        let outputs: [Output]
    }
}

/// A KServe v2 response the client cannot use.
public enum KServeResponseError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with it.
    case malformed(String)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .malformed(let reason): "malformed inference response: \(reason)"
        }
    }
}
