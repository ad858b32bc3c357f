public import Foundation

/// The details a person gives to enrol, checked: use `NewUser.validated` to build one.
public struct NewUser: Sendable, Equatable {
    /// At most 200 characters, with leading and trailing white space removed.
    public let name: String
    /// A real calendar date, `YYYY-MM-DD`, from 1900 to today.
    public let birthdate: String
    /// A plausible address, or nil when none or an empty one was given.
    public let email: String?

    /// Checks and normalises raw input, exactly as the OpenAPI document's patterns say: the name at most 200
    /// characters as sent, no control characters, not only white space (leading and trailing white space is
    /// then removed); the birthdate a real calendar date `YYYY-MM-DD`, not before 1900 and not in the future; the
    /// email, when not empty, a plausible address.
    ///
    /// - Parameter today: The reference for "not in the future": a birthdate is accepted once that date has begun
    ///   somewhere on Earth (UTC+14).
    /// - Throws: `FaceMatrixError.validationFailed`, naming the first field that fails and why.
    public static func validated(name: String?, birthdate: String?, email: String?, today: Date = Date())
        throws(FaceMatrixError) -> NewUser
    {
        let name = name ?? ""
        // Counted as PostgreSQL and JSON Schema count (code points).
        guard name.unicodeScalars.count <= 200 else {
            throw .validationFailed(field: "name", reason: "must be at most 200 characters")
        }
        guard !name.unicodeScalars.contains(where: isControl) else {
            throw .validationFailed(field: "name", reason: "must not contain control characters")
        }
        let trimmedName = String(
            String.UnicodeScalarView(
                name.unicodeScalars.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
            )
        )
        guard !trimmedName.isEmpty else { throw .validationFailed(field: "name", reason: "is required") }
        let date = try validatedBirthdate(birthdate, today: today)
        var normalizedEmail: String?
        if let email, !email.isEmpty {
            guard isPlausibleEmail(email) else {
                throw .validationFailed(field: "email", reason: "is not a valid email address")
            }
            normalizedEmail = email
        }
        return NewUser(name: trimmedName, birthdate: date, email: normalizedEmail)
    }

    /// C0 and C1 controls (U+0000–U+001F, U+007F–U+009F): the document's patterns exclude exactly these.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Space separators (Unicode's Zs) and the line and paragraph separators, listed because the document's
    /// patterns must name the same characters, and regex engines disagree on what `\s` means.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    static func validatedBirthdate(_ raw: String?, today: Date) throws(FaceMatrixError) -> String {
        guard let raw, !raw.isEmpty else { throw .validationFailed(field: "birthdate", reason: "is required") }
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { throw .validationFailed(field: "birthdate", reason: "must be a date written YYYY-MM-DD") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let components = DateComponents(year: year, month: month, day: day)
        guard (1...12).contains(month), let date = calendar.date(from: components),
            calendar.dateComponents([.year, .month, .day], from: date) == components
        else { throw .validationFailed(field: "birthdate", reason: "\(raw) is not a real calendar date") }
        guard year >= 1900 else { throw .validationFailed(field: "birthdate", reason: "must not be before 1900") }
        // "Not in the future" by the calendar date anywhere on Earth: compare with today in the latest time zone.
        let easternmost = TimeZone(secondsFromGMT: 14 * 3600) ?? calendar.timeZone
        let latest = Calendar(identifier: .gregorian).dateComponents(in: easternmost, from: today)
        let todayLatest = calendar.date(from: DateComponents(year: latest.year, month: latest.month, day: latest.day))
        guard let todayLatest, date <= todayLatest else {
            throw .validationFailed(field: "birthdate", reason: "must not be in the future")
        }
        return raw
    }

    /// Deliberately simple, and the same as the document's pattern: one @, a local part of 1–64 characters, a
    /// domain of at least two dot-separated labels of 1–63 characters (the last at least 2), no white space or
    /// control characters; at most 254 characters in all.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let scalars = email.unicodeScalars
        guard scalars.count <= 254, !scalars.contains(where: { isSpace($0) || isControl($0) })
        else { return false }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].count) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { (1...63).contains($0.count) }
            && (labels.last?.count ?? 0) >= 2
    }
}
