import Foundation
public import Hummingbird

/// Encodes a value as a JSON response with the given status; keys are written in a stable order.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
    throws -> Response
{
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var buffer = ByteBuffer()
    buffer.writeBytes(try encoder.encode(value))
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
}
