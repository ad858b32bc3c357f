import CONNXRuntime
import FaceMatrixCore

#if canImport(Glibc)
    import Glibc
#endif

/// Float tensors in and out of ONNX Runtime's values, without copies where the C API allows.
extension ONNXRuntimeSession {
    /// Wraps each input's storage in an `OrtValue` without copying. The storage must stay pinned for the whole
    /// run, hence the recursion: every tensor's buffer is borrowed by a closure that encloses the run.
    func withInputValues<Result>(
        _ tensors: [Tensor],
        index: Int,
        values: inout [OpaquePointer?],
        _ body: ([OpaquePointer?]) throws(ONNXRuntimeError) -> Result
    ) throws(ONNXRuntimeError) -> Result {
        guard index < tensors.count else { return try body(values) }
        let tensor = tensors[index]
        let shape = tensor.shape.map(Int64.init)
        var value: OpaquePointer?
        let status = tensor.values.withUnsafeBufferPointer { buffer in
            shape.withUnsafeBufferPointer { shapeBuffer in
                api.pointee.CreateTensorWithDataAsOrtValue(
                    memoryInfo,
                    UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                    buffer.count * MemoryLayout<Float>.stride,
                    shapeBuffer.baseAddress,
                    shapeBuffer.count,
                    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT,
                    &value
                )
            }
        }
        try check(api, status)
        values.append(value)
        // Keeps `tensor.values` alive and unmoved until the innermost closure (the run) has returned.
        return try withExtendedLifetime(tensor) { () throws(ONNXRuntimeError) -> Result in
            try withInputValues(tensors, index: index + 1, values: &values, body)
        }
    }

    /// Calls `Run` with the prepared input values and copies out the named outputs.
    func runSession(
        inputNames: [String],
        inputValues: [OpaquePointer?],
        outputNames: [String]
    ) throws(ONNXRuntimeError) -> [String: Tensor] {
        var outputValues = [OpaquePointer?](repeating: nil, count: outputNames.count)
        defer { for value in outputValues where value != nil { api.pointee.ReleaseValue(value) } }

        let status = withCStrings(inputNames) { inputNamePointers in
            withCStrings(outputNames) { outputNamePointers in
                inputValues.withUnsafeBufferPointer { inputs in
                    outputValues.withUnsafeMutableBufferPointer { outputs in
                        api.pointee.Run(
                            pointer,
                            nil,
                            inputNamePointers,
                            inputs.baseAddress,
                            inputs.count,
                            outputNamePointers,
                            outputNames.count,
                            outputs.baseAddress
                        )
                    }
                }
            }
        }
        try check(api, status)

        var results: [String: Tensor] = [:]
        for (name, value) in zip(outputNames, outputValues) {
            results[name] = try copyTensor(value, name: name)
        }
        return results
    }

    /// Copies a float32 `OrtValue` into a `Tensor`.
    func copyTensor(_ value: OpaquePointer?, name: String) throws(ONNXRuntimeError) -> Tensor {
        var info: OpaquePointer?
        try check(api, api.pointee.GetTensorTypeAndShape(value, &info))
        defer { api.pointee.ReleaseTensorTypeAndShapeInfo(info) }
        let (shape, type) = try shapeAndType(of: info, api: api)
        guard type == Int(ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT.rawValue) else {
            throw .unsupportedElementType(name: name, type: type)
        }
        var data: UnsafeMutableRawPointer?
        try check(api, api.pointee.GetTensorMutableData(value, &data))
        let count = shape.reduce(1, *)
        guard count > 0, let data else { return Tensor(shape: shape, values: []) }
        let floats = data.bindMemory(to: Float.self, capacity: count)
        return Tensor(shape: shape, values: Array(UnsafeBufferPointer(start: floats, count: count)))
    }
}
