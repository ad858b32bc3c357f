import FaceInference
import FaceMatrixCore
import Foundation
import ImageDecoding

/// The networks' inputs: the image resampled for P-Net, and candidate crops batched for R-Net and O-Net.
extension MTCNNDetector {
    func resampled(_ image: IntegralImage, width: Int, height: Int) -> Tensor {
        var tensor = Tensor(zeros: [1, 3, height, width])
        tensor.values.withUnsafeMutableBufferPointer { target in
            image.resample(
                x: 0,
                y: 0,
                regionWidth: image.width,
                regionHeight: image.height,
                targetWidth: width,
                targetHeight: height,
                into: target,
                normalization: .mtcnn
            )
        }
        return tensor
    }

    /// Cuts each candidate's box out of the image (black beyond the edges) and resamples it to side × side,
    /// batched into one tensor. Boxes with no area are dropped; the second result lists the candidates kept.
    func cropBatch(_ candidates: [FaceCandidate], from image: IntegralImage, side: Int) -> (Tensor, [FaceCandidate]) {
        // Boxes are truncated to whole pixels; MTCNN's boxes are 1-based and inclusive, hence the − 1.
        let regions = candidates.compactMap { candidate -> (FaceCandidate, x: Int, y: Int, w: Int, h: Int)? in
            let x1 = Int(candidate.x1.rounded(.towardZero))
            let y1 = Int(candidate.y1.rounded(.towardZero))
            let x2 = Int(candidate.x2.rounded(.towardZero))
            let y2 = Int(candidate.y2.rounded(.towardZero))
            let width = x2 - x1 + 1
            let height = y2 - y1 + 1
            guard width > 0, height > 0, x1 - 1 < image.width, y1 - 1 < image.height, x2 > 0, y2 > 0 else {
                return nil
            }
            return (candidate, x1 - 1, y1 - 1, width, height)
        }
        let perImage = 3 * side * side
        var tensor = Tensor(zeros: [regions.count, 3, side, side])
        tensor.values.withUnsafeMutableBufferPointer { target in
            for (index, region) in regions.enumerated() {
                image.resample(
                    x: region.x,
                    y: region.y,
                    regionWidth: region.w,
                    regionHeight: region.h,
                    targetWidth: side,
                    targetHeight: side,
                    into: .init(rebasing: target[(index * perImage)..<((index + 1) * perImage)]),
                    normalization: .mtcnn
                )
            }
        }
        return (tensor, regions.map(\.0))
    }
}
