import FaceMatrixCore
import Foundation
import Testing

@testable import FaceInferenceTriton

/// The KServe v2 binary-tensor bodies the Triton client writes and reads, without a server.
@Suite struct KServeBinaryTensorsTests {
    @Test func aRequestIsAJSONHeaderThenTheRawFloats() throws {
        let input = Tensor(shape: [1, 2], values: [1.5, -2])
        let (body, headerLength) = KServeBinaryTensors.requestBody(inputs: ["input": input], outputs: ["prob", "reg"])
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(body[0..<headerLength])) as? [String: Any]
        )
        let inputs = try #require(header["inputs"] as? [[String: Any]])
        #expect(inputs.first?["name"] as? String == "input")
        #expect(inputs.first?["shape"] as? [Int] == [1, 2])
        #expect(inputs.first?["datatype"] as? String == "FP32")
        #expect((inputs.first?["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 8)
        let outputs = try #require(header["outputs"] as? [[String: Any]])
        #expect(outputs.compactMap { $0["name"] as? String } == ["prob", "reg"])
        #expect(outputs.allSatisfy { ($0["parameters"] as? [String: Any])?["binary_data"] as? Bool == true })
        let floats = body[headerLength...].withUnsafeBytes { raw in
            (0..<2).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
        #expect(floats == [1.5, -2])
        #expect(body.count == headerLength + 8)
    }

    @Test func aResponseIsReadInTheHeadersOrder() throws {
        let (body, length) = Self.response(
            outputs: [("reg", [1, 2], [0.25, 0.5]), ("prob", [1, 1], [0.75])]
        )
        let tensors = try KServeBinaryTensors.outputs(from: body, headerLength: length)
        #expect(tensors["reg"] == Tensor(shape: [1, 2], values: [0.25, 0.5]))
        #expect(tensors["prob"] == Tensor(shape: [1, 1], values: [0.75]))
    }

    /// Whatever a server sends, the client answers with an error, never a trap.
    @Test(arguments: [
        #"{"outputs":[{"name":"x","datatype":"FP32","shape":[1,3],"parameters":{"binary_data_size":12}}]}"#,
        #"{"outputs":[{"name":"x","datatype":"FP32","shape":[-1,2],"parameters":{"binary_data_size":8}}]}"#,
        #"{"outputs":[{"name":"x","datatype":"FP32","shape":[4611686018427387904,4],"parameters":{"binary_data_size":0}}]}"#,
        #"{"outputs":[{"name":"x","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":4}}]}"#,
        #"{"outputs":[{"name":"x","datatype":"INT64","shape":[1],"parameters":{"binary_data_size":8}}]}"#,
        #"{"outputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1.0]}]}"#,
        #"{"error":"model not ready"}"#,
        "not json",
    ])
    func brokenResponsesAreErrors(header: String) {
        var body = Array(header.utf8)
        let length = body.count
        body += [0, 0, 128, 63]  // one float, 1.0: fewer bytes than several of the headers promise
        #expect(throws: KServeResponseError.self) {
            try KServeBinaryTensors.outputs(from: body, headerLength: length)
        }
    }

    @Test func aHeaderLengthBeyondTheBodyIsAnError() {
        #expect(throws: KServeResponseError.self) {
            try KServeBinaryTensors.outputs(from: Array("{}".utf8), headerLength: 3)
        }
        #expect(throws: KServeResponseError.self) {
            try KServeBinaryTensors.outputs(from: Array("{}".utf8), headerLength: -1)
        }
    }

    @Test func theServersModelMustFitTheManifest() {
        let manifest = TritonModel(
            name: "rnet",
            version: "1",
            inputs: [.init(name: "input", shape: [-1, 3, 24, 24], dtype: "float32")],
            outputs: [.init(name: "prob", shape: [-1, 2], dtype: "float32")]
        )
        func served(input: [Int], type: String = "FP32", output: String = "prob") -> TritonModelMetadata {
            TritonModelMetadata(
                name: "rnet",
                inputs: [.init(name: "input", datatype: type, shape: input)],
                outputs: [.init(name: output, datatype: "FP32", shape: [-1, 2])]
            )
        }
        #expect(manifest.mismatch(with: served(input: [-1, 3, 24, 24])) == nil)
        #expect(manifest.mismatch(with: served(input: [-1, 3, -1, -1])) == nil)
        #expect(manifest.mismatch(with: served(input: [-1, 3, 48, 48]))?.contains("input 'input'") == true)
        #expect(manifest.mismatch(with: served(input: [1, 3, 24, 24]))?.contains("[1, 3, 24, 24]") == true)
        #expect(manifest.mismatch(with: served(input: [-1, 3, 24])) != nil)
        #expect(manifest.mismatch(with: served(input: [-1, 3, 24, 24], type: "FP16"))?.contains("FP16") == true)
        #expect(manifest.mismatch(with: served(input: [-1, 3, 24, 24], output: "cls"))?.contains("'prob'") == true)
        #expect(manifest.path == "/v2/models/rnet/versions/1")
    }

    static func response(outputs: [(String, [Int], [Float])]) -> ([UInt8], Int) {
        let entries = outputs.map { name, shape, values in
            #"{"name":"\#(name)","datatype":"FP32","shape":\#(shape),"parameters":{"binary_data_size":\#(values.count * 4)}}"#
        }
        var body = Array(#"{"model_name":"m","outputs":[\#(entries.joined(separator: ","))]}"#.utf8)
        let length = body.count
        for (_, _, values) in outputs { values.withUnsafeBytes { body += $0 } }
        return (body, length)
    }
}
