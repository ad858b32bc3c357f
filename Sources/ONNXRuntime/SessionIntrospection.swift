import CONNXRuntime
import FaceMatrixCore

#if canImport(Glibc)
    import Glibc
#endif

/// Which end of a session `describe` lists: its inputs or its outputs.
enum Side { case input, output }

/// Applies `options` to ONNX Runtime session options: thread counts, `session.intra_op.allow_spinning` and the graph
/// optimisation level.
func configure(
    _ sessionOptions: OpaquePointer?,
    with options: SessionOptions,
    api: UnsafePointer<OrtApi>
) throws(ONNXRuntimeError) {
    try check(api, api.pointee.SetIntraOpNumThreads(sessionOptions, Int32(options.intraOpThreads)))
    try check(api, api.pointee.SetInterOpNumThreads(sessionOptions, Int32(options.interOpThreads)))
    try check(
        api,
        api.pointee.AddSessionConfigEntry(
            sessionOptions,
            "session.intra_op.allow_spinning",
            options.allowSpinning ? "1" : "0"
        )
    )
    let level: GraphOptimizationLevel =
        switch options.graphOptimization {
        case .disabled: ORT_DISABLE_ALL
        case .basic: ORT_ENABLE_BASIC
        case .extended: ORT_ENABLE_EXTENDED
        case .all: ORT_ENABLE_ALL
        }
    try check(api, api.pointee.SetSessionGraphOptimizationLevel(sessionOptions, level))
}

/// What ONNX Runtime says about a session's inputs or outputs: names, shapes and element types, in graph order.
func describe(_ session: OpaquePointer, api: UnsafePointer<OrtApi>, side: Side) throws(ONNXRuntimeError)
    -> [TensorInfo]
{
    var allocator: UnsafeMutablePointer<OrtAllocator>?
    try check(api, api.pointee.GetAllocatorWithDefaultOptions(&allocator))
    var count = 0
    switch side {
    case .input: try check(api, api.pointee.SessionGetInputCount(session, &count))
    case .output: try check(api, api.pointee.SessionGetOutputCount(session, &count))
    }
    var infos: [TensorInfo] = []
    for index in 0..<count {
        var rawName: UnsafeMutablePointer<CChar>?
        var typeInfo: OpaquePointer?
        switch side {
        case .input:
            try check(api, api.pointee.SessionGetInputName(session, index, allocator, &rawName))
            try check(api, api.pointee.SessionGetInputTypeInfo(session, index, &typeInfo))
        case .output:
            try check(api, api.pointee.SessionGetOutputName(session, index, allocator, &rawName))
            try check(api, api.pointee.SessionGetOutputTypeInfo(session, index, &typeInfo))
        }
        defer {
            api.pointee.ReleaseTypeInfo(typeInfo)
            _ = api.pointee.AllocatorFree(allocator, rawName)
        }
        let name = rawName.map { String(cString: $0) } ?? ""
        var tensorInfo: OpaquePointer?
        try check(api, api.pointee.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo))
        // CastTypeInfoToTensorInfo borrows from typeInfo: no release of its own.
        let (shape, type) = try shapeAndType(of: tensorInfo, api: api)
        infos.append(TensorInfo(name: name, shape: shape, elementType: type))
    }
    return infos
}

/// The dimensions (`-1` for a dynamic axis) and ONNX element type number of an `OrtTensorTypeAndShapeInfo`.
func shapeAndType(of info: OpaquePointer?, api: UnsafePointer<OrtApi>) throws(ONNXRuntimeError) -> ([Int], Int) {
    var rank = 0
    try check(api, api.pointee.GetDimensionsCount(info, &rank))
    var dimensions = [Int64](repeating: 0, count: rank)
    try check(api, api.pointee.GetDimensions(info, &dimensions, rank))
    var type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
    try check(api, api.pointee.GetTensorElementType(info, &type))
    return (dimensions.map(Int.init), Int(type.rawValue))
}

/// Lends C strings for every element of `strings` for the duration of `body`.
func withCStrings<Result>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    return body(duplicates.map { UnsafePointer($0) })
}
