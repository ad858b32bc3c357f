import FaceMatrixCore
import Foundation

/// The original system's enrolment: the first photo (in path order) of every person is the enrolment photo, the
/// others are probes.
public struct EnrollmentSplit: Sendable {
    /// Each person's first photo, in path order.
    public let enrollment: [EmbeddedPhoto]
    /// Every other photo, in path order.
    public let probes: [EmbeddedPhoto]

    /// Splits `photos` by person, in path order.
    public init(_ photos: [EmbeddedPhoto]) {
        var seen: Set<String> = []
        var enrollment: [EmbeddedPhoto] = []
        var probes: [EmbeddedPhoto] = []
        for photo in photos.sorted(by: { $0.path < $1.path }) {
            if seen.insert(photo.identity).inserted { enrollment.append(photo) } else { probes.append(photo) }
        }
        self.enrollment = enrollment
        self.probes = probes
    }
}
