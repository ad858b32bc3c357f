import FaceMatrixCore
import Foundation
import MultipartKit
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The fields of an API request body, from either `multipart/form-data` or JSON. Pure functions of the bytes, in a
/// module of their own so that the fuzzer (fuzz/FuzzRequestParsing) reaches them without the server.
public struct RequestFields: Sendable {
    /// Text fields by name.
    public var text: [String: String] = [:]
    /// The uploaded image, if the request carried an `image` part.
    public var image: [UInt8]?
    /// Whether the body was JSON (JSON bodies cannot carry an image).
    public var isJSON = false

    /// Fields given directly, as a parser or a test makes them.
    public init(text: [String: String] = [:], image: [UInt8]? = nil, isJSON: Bool = false) {
        self.text = text
        self.image = image
        self.isJSON = isJSON
    }

    /// Parses a `multipart/form-data` body (RFC 7578) whose parts are delimited by `boundary`: the `image` part as
    /// bytes, every other named part as text; parts without a name are skipped.
    ///
    /// - Throws: `FaceMatrixError.validationFailed` (400, error_code 605): field `body` for a malformed body, the
    ///   part's name for a field sent twice or text that is not UTF-8.
    public static func multipart(_ body: ByteBuffer, boundary: String) throws -> RequestFields {
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var partBody = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in partBody.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: partBody))
            headers = HTTPHeaders()
            partBody = ByteBuffer()
        }
        guard partHeaderNamesAreASCII(body, boundary: boundary) else {
            throw FaceMatrixError.validationFailed(field: "body", reason: "malformed multipart/form-data")
        }
        do {
            try parser.execute(body)
        } catch {
            throw FaceMatrixError.validationFailed(field: "body", reason: "malformed multipart/form-data")
        }
        var fields = RequestFields()
        var seen: Set<String> = []
        for part in parts {
            guard let name = part.name else { continue }
            // Two values for one field are ambiguous (which photo did the caller mean?): refused, never guessed.
            guard seen.insert(name).inserted else {
                throw FaceMatrixError.validationFailed(field: name, reason: "must be sent once, not repeated")
            }
            if name == "image" {
                fields.image = Array(buffer: part.body)
            } else {
                // Decoded strictly: a lenient decode would store U+FFFD in place of the caller's bytes.
                guard let value = String(validating: part.body.readableBytesView, as: UTF8.self) else {
                    throw FaceMatrixError.validationFailed(field: name, reason: "must be UTF-8 text")
                }
                fields.text[name] = value
            }
        }
        return fields
    }

    /// Whether no part-header line carries a byte ≥ 0x80 before its colon. MultipartKit 4.7.1 looks such a byte
    /// up in a 128-entry table while reading a header name, and the index out of range ends the process (a trap,
    /// not an error). Header names are ASCII tokens (RFC 7578, RFC 9110), so no client that follows the standard is
    /// refused. Every line after every occurrence of the delimiter is checked up to the blank line that ends the
    /// headers: more places than the parser reads header names in, never fewer.
    public static func partHeaderNamesAreASCII(_ body: ByteBuffer, boundary: String) -> Bool {
        let (cr, lf, colon) = (UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: ":"))
        let bytes = body.readableBytesView
        let delimiter = Array("--\(boundary)".utf8)
        var searchStart = bytes.startIndex
        while let found = bytes[searchStart...].firstRange(of: delimiter) {
            var index = found.upperBound
            // After a delimiter and after every line break, a header name may begin; it ends at its colon.
            var inName = true
            var last3: (UInt8, UInt8, UInt8) = (0, 0, 0)
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                if byte == cr || byte == lf {
                    // CR LF CR LF: the blank line after the headers; the part's content follows.
                    if last3 == (cr, lf, cr) && byte == lf { break }
                    inName = true
                } else if inName {
                    if byte >= 0x80 { return false }
                    if byte == colon { inName = false }
                }
                last3 = (last3.1, last3.2, byte)
            }
            searchStart = found.upperBound
        }
        return true
    }

    /// Parses a JSON object body (RFC 8259), keeping the members an operation reads.
    ///
    /// - Parameter fields: the members the operation reads; their values must be strings (or null, meaning absent).
    ///   Other members are ignored, as the document allows, whatever their type.
    /// - Returns: the fields read, with `isJSON` set.
    /// - Throws: `FaceMatrixError.validationFailed` (400, error_code 605) for malformed JSON, a non-object, a member
    ///   sent twice, or a read member that is not a string.
    public static func json(_ body: ByteBuffer, fields names: Set<String>) throws -> RequestFields {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(buffer: body))
        } catch {
            throw FaceMatrixError.validationFailed(field: "body", reason: "malformed JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw FaceMatrixError.validationFailed(field: "body", reason: "expected a JSON object")
        }
        if let repeated = repeatedMember(inObject: body) {
            throw FaceMatrixError.validationFailed(field: repeated, reason: "must be sent once, not repeated")
        }
        var fields = RequestFields(isJSON: true)
        for (key, value) in dictionary where names.contains(key) {
            switch value {
            case let string as String: fields.text[key] = string
            case is NSNull: continue
            default: throw FaceMatrixError.validationFailed(field: key, reason: "must be a string")
            }
        }
        return fields
    }

    /// The first member name that occurs twice in a JSON object of strings and nulls, or nil. JSONSerialization
    /// keeps one of the two values without saying so, and a proxy or logger in front may have read the other:
    /// ambiguous input is refused, as repeated multipart fields are. Runs only on a body JSONSerialization has
    /// accepted as an object; it stops (nil) at the first value that is neither a string nor null, which the
    /// caller refuses anyway.
    static func repeatedMember(inObject body: ByteBuffer) -> String? {
        var scanner = JSONObjectScanner(bytes: Array(body.readableBytesView))
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var names: Set<String> = []
        while let name = scanner.memberName() {
            guard names.insert(name).inserted else { return name }
            guard scanner.skipStringOrNull(), scanner.consume(UInt8(ascii: ",")) else { return nil }
        }
        return nil
    }

    /// A parameter of a header value such as `multipart/form-data; boundary=abc` (RFC 9110 §5.6.6): matched
    /// case-insensitively (`name` must be lowercase), surrounding double quotes removed, though escapes inside are not
    /// undone; nil when absent or empty.
    public static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}

/// Reads the members of a JSON object of strings and nulls, one at a time; any other shape ends the reading.
private struct JSONObjectScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// Skips white space and then `byte`; false when something else comes.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next member's name, decoded, with its colon consumed; nil at the end of the object or anything else.
    mutating func memberName() -> String? {
        skipWhitespace()
        guard let name = string() else { return nil }
        return consume(UInt8(ascii: ":")) ? name : nil
    }

    /// Skips a string or `null` value.
    mutating func skipStringOrNull() -> Bool {
        skipWhitespace()
        if string() != nil { return true }
        guard bytes[index...].starts(with: Array("null".utf8)) else { return false }
        index += 4
        return true
    }

    /// The string token at `index`, decoded by JSONSerialization (escapes included); `index` moves past it.
    private mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard index < bytes.count else { return nil }
        index += 1
        return (try? JSONSerialization.jsonObject(with: Data(bytes[start..<index]), options: .fragmentsAllowed))
            as? String
    }
}
