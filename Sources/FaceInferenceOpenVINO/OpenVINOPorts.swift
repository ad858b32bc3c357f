import COpenVINO
import FaceMatrixCore

enum PortSide {
    case input, output
}

/// The model's inputs or outputs as `TensorInfo`: the first tensor name of each port, its shape with -1 for a
/// dynamic dimension, and its element type as ONNX numbers it (1 for float32), so both runtimes describe models
/// alike.
func describePorts(of model: OpaquePointer, side: PortSide) throws(OpenVINOError) -> [TensorInfo] {
    var count = 0
    let sizeStatus = side == .input ? ov_model_inputs_size(model, &count) : ov_model_outputs_size(model, &count)
    try check(sizeStatus, "ov_model_ports_size")
    var infos: [TensorInfo] = []
    for index in 0..<count {
        var port: OpaquePointer?
        let status =
            side == .input
            ? ov_model_const_input_by_index(model, index, &port) : ov_model_const_output_by_index(model, index, &port)
        try check(status, "ov_model_const_port_by_index")
        guard let port else { throw .runtime(call: "ov_model_const_port_by_index", status: -1, message: "no port") }
        defer { ov_output_const_port_free(port) }
        infos.append(try describe(port))
    }
    return infos
}

private func describe(_ port: OpaquePointer) throws(OpenVINOError) -> TensorInfo {
    var name: UnsafeMutablePointer<CChar>?
    try check(ov_port_get_any_name(port, &name), "ov_port_get_any_name")
    defer { if let name { ov_free(name) } }
    var partialShape = ov_partial_shape_t()
    try check(ov_port_get_partial_shape(port, &partialShape), "ov_port_get_partial_shape")
    defer { ov_partial_shape_free(&partialShape) }
    var shape: [Int] = []
    if !ov_rank_is_dynamic(partialShape.rank), let dims = partialShape.dims {
        shape = (0..<Int(partialShape.rank.max)).map { index in
            let dimension = dims[index]
            return ov_dimension_is_dynamic(dimension) ? -1 : Int(dimension.max)
        }
    }
    var type = ov_element_type_e(0)
    try check(ov_port_get_element_type(port, &type), "ov_port_get_element_type")
    return TensorInfo(name: name.map { String(cString: $0) } ?? "", shape: shape, elementType: onnxElementType(type))
}

/// ONNX's `TensorProto.DataType` number for the element types these models use; 0 (undefined) for the others.
private func onnxElementType(_ type: ov_element_type_e) -> Int {
    switch type {
    case F32: 1
    case U8: 2
    case I32: 6
    case I64: 7
    case F16: 10
    default: 0
    }
}
