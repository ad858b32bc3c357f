/// A point in image pixel coordinates (x to the right, y down, origin at the top-left corner).
public struct Point: Codable, Sendable, Equatable, Hashable {
    /// Horizontal position in pixels, growing to the right.
    public var x: Double
    /// Vertical position in pixels, growing downwards.
    public var y: Double

    /// Creates a point from pixel coordinates.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Euclidean distance to `other`, in pixels.
    public func distance(to other: Point) -> Double {
        ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
    }

    /// Both coordinates multiplied by `factor`, to map between a resized image and the original.
    public func scaled(by factor: Double) -> Point { Point(x: x * factor, y: y * factor) }
}

/// An axis-aligned rectangle in image pixel coordinates.
public struct BoundingBox: Codable, Sendable, Equatable, Hashable {
    /// Left edge, in pixels.
    public var x: Double
    /// Top edge, in pixels.
    public var y: Double
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double

    /// Creates a box from its top-left corner and its size, in pixels.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Creates a box from its left, top, right and bottom edges, in pixels.
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.init(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// Right edge, in pixels.
    public var maxX: Double { x + width }
    /// Bottom edge, in pixels.
    public var maxY: Double { y + height }
    /// Area in square pixels; 0 when the width or height is negative.
    public var area: Double { max(0, width) * max(0, height) }
    /// The box's centre point.
    public var center: Point { Point(x: x + width / 2, y: y + height / 2) }

    /// Whether `point` lies inside the box or on its edge.
    public func contains(_ point: Point) -> Bool {
        point.x >= x && point.x <= maxX && point.y >= y && point.y <= maxY
    }

    /// Intersection over union (the Jaccard index) with `other`, in [0, 1]; 0 when the boxes do not overlap.
    public func intersectionOverUnion(with other: BoundingBox) -> Double {
        let overlapWidth = min(maxX, other.maxX) - max(x, other.x)
        let overlapHeight = min(maxY, other.maxY) - max(y, other.y)
        guard overlapWidth > 0, overlapHeight > 0 else { return 0 }
        let overlap = overlapWidth * overlapHeight
        return overlap / (area + other.area - overlap)
    }

    /// Position and size multiplied by `factor`.
    public func scaled(by factor: Double) -> BoundingBox {
        BoundingBox(x: x * factor, y: y * factor, width: width * factor, height: height * factor)
    }
}

/// The five facial landmarks MTCNN finds. "Left" is the image's left (smaller x), whoever's eye it is.
public struct FaceLandmarks: Codable, Sendable, Equatable {
    /// Centre of the eye on the image's left, as the detector reports it.
    public var leftEye: Point
    /// Centre of the eye on the image's right.
    public var rightEye: Point
    /// Tip of the nose.
    public var nose: Point
    /// Mouth corner on the image's left.
    public var mouthLeft: Point
    /// Mouth corner on the image's right.
    public var mouthRight: Point

    /// Creates landmarks from five points in pixels of the photo.
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

    /// Every point multiplied by `factor`.
    public func scaled(by factor: Double) -> FaceLandmarks {
        FaceLandmarks(
            leftEye: leftEye.scaled(by: factor),
            rightEye: rightEye.scaled(by: factor),
            nose: nose.scaled(by: factor),
            mouthLeft: mouthLeft.scaled(by: factor),
            mouthRight: mouthRight.scaled(by: factor)
        )
    }
}

/// One face found in an image.
public struct DetectedFace: Codable, Sendable, Equatable {
    /// The face's bounding box, in pixels of the photo it was found in.
    public var box: BoundingBox
    /// The detector's probability that this is a face, 0–1.
    public var confidence: Double
    /// The five landmarks, in the same pixel coordinates as `box`.
    public var landmarks: FaceLandmarks

    /// Creates a detection from the detector's box, face probability (0–1) and landmarks.
    public init(box: BoundingBox, confidence: Double, landmarks: FaceLandmarks) {
        self.box = box
        self.confidence = confidence
        self.landmarks = landmarks
    }

    /// The detection in an image `factor` times as large: box and landmarks scaled, confidence unchanged.
    public func scaled(by factor: Double) -> DetectedFace {
        DetectedFace(box: box.scaled(by: factor), confidence: confidence, landmarks: landmarks.scaled(by: factor))
    }
}
