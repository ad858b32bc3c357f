// Coverage-guided fuzzing of how request bytes become fields: multipart/form-data (through MultipartKit, behind the
// guard that once had to be added because a non-ASCII header name trapped inside it), JSON bodies, the boundary
// parameter of a Content-Type, and X-Request-ID. Built and run by `make fuzz` (see fuzz/FuzzSupport).
import FaceMatrixHTTP
import Foundation
import FuzzSupport
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
        _ = try? RequestFields.json(ByteBuffer(bytes: rest), fields: ["name", "birthdate", "email", "req_id"])
    case 2:
        _ = RequestFields.parameter("boundary", in: String(decoding: rest, as: UTF8.self))
    default:
        _ = RequestID.acceptable(String(decoding: rest, as: UTF8.self))
    }
}

func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@main
enum Fuzzer {
    static func main() {
        runFuzzer("FuzzRequestParsing", fuzzOneInput)
    }
}
