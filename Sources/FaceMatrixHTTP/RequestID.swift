import Foundation

/// The caller's `X-Request-ID`, or one of the service's own.
public enum RequestID {
    /// A fresh id, for a request that brought no acceptable one: a lowercase UUID.
    public static func fresh() -> String {
        UUID().uuidString.lowercased()
    }

    /// The id when it is reasonable to keep: ids from outside end up in logs, so only short, printable ones (1 to
    /// 128 ASCII letters, digits and `-_.:`) are; nil otherwise.
    public static func acceptable(_ candidate: String) -> String? {
        guard (1...128).contains(candidate.count),
            candidate.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || $0.properties.numericType != nil
                        || "-_.:".unicodeScalars.contains($0))
            })
        else { return nil }
        return candidate
    }
}
