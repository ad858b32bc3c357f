/// A point in image pixel coordinates (x to the right, y down, origin at the top-left corner).
public struct Point: Codable, Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public func distance(to other: Point) -> Double {
        ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
    }

    public func scaled(by factor: Double) -> Point { Point(x: x * factor, y: y * factor) }
}

/// An axis-aligned rectangle in image pixel coordinates.
public struct BoundingBox: Codable, Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.init(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var area: Double { max(0, width) * max(0, height) }
    public var center: Point { Point(x: x + width / 2, y: y + height / 2) }

    public func contains(_ point: Point) -> Bool {
        point.x >= x && point.x <= maxX && point.y >= y && point.y <= maxY
    }

    public func intersectionOverUnion(with other: BoundingBox) -> Double {
        let overlapWidth = min(maxX, other.maxX) - max(x, other.x)
        let overlapHeight = min(maxY, other.maxY) - max(y, other.y)
        guard overlapWidth > 0, overlapHeight > 0 else { return 0 }
        let overlap = overlapWidth * overlapHeight
        return overlap / (area + other.area - overlap)
    }

    public func scaled(by factor: Double) -> BoundingBox {
        BoundingBox(x: x * factor, y: y * factor, width: width * factor, height: height * factor)
    }
}

/// The five facial landmarks MTCNN finds. "Left" is the image's left (smaller x), whoever's eye it is.
public struct FaceLandmarks: Codable, Sendable, Equatable {
    public var leftEye: Point
    public var rightEye: Point
    public var nose: Point
    public var mouthLeft: Point
    public var mouthRight: Point

    public init(leftEye: Point, rightEye: Point, nose: Point, mouthLeft: Point, mouthRight: Point) {
        self.leftEye = leftEye
        self.rightEye = rightEye
        self.nose = nose
        self.mouthLeft = mouthLeft
        self.mouthRight = mouthRight
    }

    /// The points in template order (left eye, right eye, nose, left mouth corner, right mouth corner), with the
    /// eyes and the mouth corners each sorted by x, as alignment templates expect.
    public var points: [Point] {
        let eyes = leftEye.x <= rightEye.x ? [leftEye, rightEye] : [rightEye, leftEye]
        let mouth = mouthLeft.x <= mouthRight.x ? [mouthLeft, mouthRight] : [mouthRight, mouthLeft]
        return [eyes[0], eyes[1], nose, mouth[0], mouth[1]]
    }

    public func scaled(by factor: Double) -> FaceLandmarks {
        FaceLandmarks(
            leftEye: leftEye.scaled(by: factor), rightEye: rightEye.scaled(by: factor), nose: nose.scaled(by: factor),
            mouthLeft: mouthLeft.scaled(by: factor), mouthRight: mouthRight.scaled(by: factor))
    }
}

/// One face found in an image.
public struct DetectedFace: Codable, Sendable, Equatable {
    public var box: BoundingBox
    /// The detector's probability that this is a face, 0–1.
    public var confidence: Double
    public var landmarks: FaceLandmarks

    public init(box: BoundingBox, confidence: Double, landmarks: FaceLandmarks) {
        self.box = box
        self.confidence = confidence
        self.landmarks = landmarks
    }

    public func scaled(by factor: Double) -> DetectedFace {
        DetectedFace(box: box.scaled(by: factor), confidence: confidence, landmarks: landmarks.scaled(by: factor))
    }
}
