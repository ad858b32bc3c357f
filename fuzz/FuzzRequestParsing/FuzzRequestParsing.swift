// Coverage-guided fuzzing of how request bytes become fields: multipart/form-data (through MultipartKit, behind the
// guard that once had to be added because a non-ASCII header name trapped inside it), JSON bodies, the boundary
// parameter of a Content-Type, and X-Request-ID. See fuzz/FuzzImagePipeline for how the target is built and run.
import FaceMatrixHTTP
import Foundation
import NIOCore

/// The first byte chooses what the rest is fed to, so that one corpus covers every parser.
func parse(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    switch selector % 4 {
    case 0:
        // A multipart body under a boundary that seed bodies use, and under one taken from the input itself.
        _ = try? RequestFields.multipart(ByteBuffer(bytes: rest), boundary: "b")
        if let split = rest.firstIndex(of: 0x0A), split > 0 {
            let boundary = String(decoding: rest[..<split], as: UTF8.self)
            _ = try? RequestFields.multipart(ByteBuffer(bytes: rest[(split + 1)...]), boundary: boundary)
        }
    case 1:
        _ = try? RequestFields.json(ByteBuffer(bytes: rest))
    case 2:
        _ = RequestFields.parameter("boundary", in: String(decoding: rest, as: UTF8.self))
    default:
        _ = RequestID.acceptable(String(decoding: rest, as: UTF8.self))
    }
}

#if FUZZING
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        guard let data else { return 0 }
        parse(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    /// libFuzzer's own entry point (see fuzz/FuzzImagePipeline for why it is called from here).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @main
    enum Fuzzer {
        static func main() {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
        }
    }
#else
    @main
    enum NotFuzzing {
        static func main() {
            print("FuzzRequestParsing is a libFuzzer target: run `make fuzz`.")
        }
    }
#endif
