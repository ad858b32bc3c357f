import FaceMatrixCore
import Foundation
import Testing

@Suite struct NewUserValidationTests {
    let today = ISO8601DateFormatter().date(from: "2026-11-29T12:00:00Z")!

    @Test func acceptsAndNormalizesGoodInput() throws {
        let user = try NewUser.validated(
            name: "  Ada Lovelace\u{3000}",
            birthdate: "1815-12-10".replacingOccurrences(of: "1815", with: "1915"),
            email: "ada@example.org",
            today: today
        )
        #expect(user.name == "Ada Lovelace")
        #expect(user.birthdate == "1915-12-10")
        #expect(user.email == "ada@example.org")
        #expect(try NewUser.validated(name: "X", birthdate: "2026-11-29", email: "", today: today).email == nil)
        #expect(
            try NewUser.validated(
                name: String(repeating: "é", count: 200),
                birthdate: "1900-01-01",
                email: nil,
                today: today
            ).name.count == 200
        )
    }

    @Test(
        arguments: [
            (nil, "1990-01-01", nil, "name"), ("   ", "1990-01-01", nil, "name"),
            (String(repeating: "a", count: 201), "1990-01-01", nil, "name"), ("Bell\u{7}", "1990-01-01", nil, "name"),
            ("Ann", nil, nil, "birthdate"), ("Ann", "1990-1-01", nil, "birthdate"),
            ("Ann", "2023-02-29", nil, "birthdate"),
            ("Ann", "1990-13-01", nil, "birthdate"), ("Ann", "1899-12-31", nil, "birthdate"),
            ("Ann", "2026-12-01", nil, "birthdate"), ("Ann", "19９0-01-01", nil, "birthdate"),
            ("Ann", "1990-01-01", "not-an-email", "email"), ("Ann", "1990-01-01", "a@b", "email"),
            ("Ann", "1990-01-01", "a b@example.org", "email"), ("Ann", "1990-01-01", " ann@example.org", "email"),
            // Sent as the document describes it: control characters anywhere, and 200 characters before trimming.
            ("Ann\n", "1990-01-01", nil, "name"), (String(repeating: "a", count: 200) + " ", "1990-01-01", nil, "name"),
            // 150 characters but 300 code points: PostgreSQL's length() counts the latter (once a 500).
            (String(repeating: "e\u{301}", count: 150), "1990-01-01", nil, "name"),
            // A NUL byte once reached PostgreSQL and came back as a 500.
            ("Ann", "1990-01-01", "a\u{0}b@example.org", "email"),
        ] as [(String?, String?, String?, String)]
    )
    func rejectsBadInputNamingTheField(name: String?, birthdate: String?, email: String?, field: String) {
        #expect {
            try NewUser.validated(name: name, birthdate: birthdate, email: email, today: today)
        } throws: { error in
            guard case .validationFailed(let failedField, _) = error as? FaceMatrixError else { return false }
            return failedField == field
        }
    }

    @Test func leapDaysAreRealDates() throws {
        #expect(
            try NewUser.validated(name: "Leap", birthdate: "2024-02-29", email: nil, today: today).birthdate
                == "2024-02-29"
        )
    }
}

@Suite struct ErrorContractTests {
    /// The table from the API contract: HTTP status, error_code, slug.
    @Test(arguments: [
        (FaceMatrixError.faceNotDetected, 400, 601, "face_not_detected"),
        (.invalidImage("x"), 400, 602, "invalid_image"),
        (.imageTooLarge("x"), 413, 603, "image_too_large"),
        (.faceQualityTooLow("x"), 422, 604, "face_quality_too_low"),
        (.validationFailed(field: "name", reason: "x"), 400, 605, "validation_failed"),
        (.enrollmentKeyNotFound, 404, 606, "enrollment_key_not_found"),
        (.userNotFound, 404, 607, "user_not_found"),
        (.userAlreadyExists("x"), 409, 608, "user_already_exists"),
        (.unsupportedMediaType("x"), 415, 609, "unsupported_media_type"),
        (.dependencyUnavailable("database", retryAfterSeconds: 5), 503, 610, "dependency_unavailable"),
        (.faceMismatch("x"), 422, 611, "face_mismatch"),
        (.unauthorized, 401, 612, "unauthorized"),
        (.forbidden(required: "admin"), 403, 613, "forbidden"),
        (.internalError, 500, 500, "internal_error"),
    ])
    func everyErrorHasItsDocumentedCode(error: FaceMatrixError, status: Int, code: Int, slug: String) {
        #expect(error.httpStatus == status)
        #expect(error.code == code)
        #expect(error.slug == slug)
        #expect(!error.message.isEmpty)
    }

    @Test func messagesNameTheFieldAndHideInternals() {
        #expect(
            FaceMatrixError.validationFailed(field: "birthdate", reason: "is required").message.contains("birthdate")
        )
        #expect(FaceMatrixError.faceNotDetected.message == "Face not detected in the image")
        #expect(FaceMatrixError.internalError.message == "An internal error occurred")
    }
}

@Suite struct IdentificationPolicyTests {
    /// Roughly the shipped model's tail: 1 % of pairs of strangers reach 0.25.
    let tail = ImpostorTail(location: 0.077, scale: 0.0373)
    var policy: IdentificationPolicy { IdentificationPolicy(targetFalseAcceptRate: 0.01, impostorTail: tail) }

    @Test func thresholdIsWhereTheTailMeetsTheTargetOverTheGallerySize() {
        // FAR ≤ N · r(t): the threshold for N people is where r = FAR / N.
        for size in [1, 10, 866, 100_000] {
            let threshold = policy.threshold(forGallerySize: size)
            #expect(abs(tail.exceedanceRate(at: threshold) * Double(size) - 0.01) < 1e-12)
            #expect(abs(threshold - (0.077 + 0.0373 * log(Double(size) / 0.01))) < 1e-12)
        }
    }

    @Test func thresholdNeverFallsAsPeopleEnroll() {
        var previous = -Double.infinity
        for size in [0, 1, 2, 3, 10, 99, 100, 1_000, 10_000, 100_000, 1_000_000, Int.max] {
            let threshold = policy.threshold(forGallerySize: size)
            #expect(threshold >= previous, "gallery of \(size)")
            #expect(threshold <= 1)
            previous = threshold
        }
        // An empty gallery is treated as one person, never as a division by zero.
        #expect(policy.threshold(forGallerySize: 0) == policy.threshold(forGallerySize: 1))
    }

    @Test func aLooserTargetLowersTheThreshold() {
        var loose = policy
        loose.targetFalseAcceptRate = 0.042
        #expect(loose.threshold(forGallerySize: 866) < policy.threshold(forGallerySize: 866))
        // Out-of-range targets are clamped, not trusted: 0 would demand a similarity above 1.
        var zero = policy
        zero.targetFalseAcceptRate = 0
        #expect(zero.threshold(forGallerySize: 10) <= 1)
    }

    @Test func aDuplicateNeedsFarStrongerEvidenceThanAMatch() {
        for size in [1, 847, 100_000] {
            let duplicate = policy.duplicateThreshold(forGallerySize: size)
            #expect(abs(duplicate - policy.threshold(forGallerySize: size) - 0.0373 * log(100)) < 1e-12)
        }
        let fixed = IdentificationPolicy(impostorTail: tail, fixedThreshold: 0.6)
        #expect(fixed.duplicateThreshold(forGallerySize: 10) == 0.6)
    }

    @Test func anOperatorsFixedThresholdIsUsedAtEverySize() {
        let fixed = IdentificationPolicy(impostorTail: tail, fixedThreshold: 0.6)
        #expect(fixed.threshold(forGallerySize: 1) == 0.6)
        #expect(fixed.threshold(forGallerySize: 1_000_000) == 0.6)
        // A model without a calibration and without a fixed threshold never matches.
        #expect(IdentificationPolicy(impostorTail: nil).threshold(forGallerySize: 5) == 1)
    }

    @Test func aMatchNeedsTheThresholdAndTheMargin() {
        let policy = IdentificationPolicy(impostorTail: tail, margin: 0.1)
        let best = Candidate(userID: "a", similarity: 0.7)
        #expect(
            policy.decide(best: best, runnerUp: Candidate(userID: "b", similarity: 0.5), gallerySize: 600)
                == .match(best)
        )
        // Close second: ambiguous, no match.
        #expect(
            policy.decide(best: best, runnerUp: Candidate(userID: "b", similarity: 0.65), gallerySize: 600)
                == .noMatch(best: best)
        )
        // Below the threshold for this gallery size (0.077 + 0.0373 · ln(10¹⁰) ≈ 0.94).
        #expect(policy.decide(best: best, runnerUp: nil, gallerySize: 100_000_000) == .noMatch(best: best))
        #expect(policy.decide(best: nil, runnerUp: nil, gallerySize: 0) == .noMatch(best: nil))
        // An explicit threshold replaces the size-dependent one but not the margin.
        #expect(policy.decide(best: best, runnerUp: nil, gallerySize: 100_000_000, override: 0.6) == .match(best))
        #expect(
            policy.decide(best: best, runnerUp: Candidate(userID: "b", similarity: 0.69), gallerySize: 1, override: 0.6)
                == .noMatch(best: best)
        )
    }

    @Test func theTailInvertsItself() {
        for rate in [1e-9, 1e-5, 0.01, 0.5, 1] {
            #expect(abs(tail.exceedanceRate(at: tail.similarity(exceededAtRate: rate)) - rate) < 1e-12 * max(1, rate))
        }
        #expect(tail.exceedanceRate(at: -1) == 1)
    }
}

@Suite struct QualityMessageTests {
    @Test func aValueJustBelowTheMinimumNeverPrintsAsEqualToIt() {
        let quality = FaceQuality(
            confidence: 1,
            faceSize: 100,
            interocularDistance: 40,
            sharpness: 100,
            roll: 0,
            yaw: 0,
            frontalScore: 0.14568
        )
        #expect(
            QualityRequirements().shortfalls(of: quality) == ["face the camera (frontal score 0.146 is below 0.15)"]
        )
        var profile = quality
        profile.frontalScore = 0
        #expect(QualityRequirements().shortfalls(of: profile) == ["face the camera (frontal score 0 is below 0.15)"])
    }
}

@Suite struct EmbeddingTests {
    @Test func embeddingsOfDifferentModelsAreLeastSimilarNeverATrap() {
        let a = Embedding(unitValues: [1, 0, 0])
        #expect(a.similarity(to: Embedding(unitValues: [1, 0, 0])) == 1)
        #expect(a.similarity(to: Embedding(unitValues: [0, 1, 0])) == 0)
        #expect(a.similarity(to: Embedding(unitValues: [1, 0])) == -1)
        #expect(a.similarity(to: Embedding(unitValues: [])) == -1)
    }
}
