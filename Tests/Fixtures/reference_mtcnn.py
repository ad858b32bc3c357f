"""Detects faces with a reference MTCNN, to check the Swift detector against.

  faceie:    faceie's pure-numpy MTCNN, independent of FaceMatrix in everything (its own copy of the weights,
             its own pyramid, cropping, box regression and non-maximum suppression).
  facenet:   facenet-pytorch's detection algorithm written in numpy by the model tooling
             (tools/facematrix_models/detect.py) over the converted ONNX nets, whose outputs the tooling's
             tests prove equal to faceie's nets.

Usage: reference_mtcnn.py faceie|facenet MTCNN_DIR IMAGE...   prints one JSON object per line:
  {"path": ..., "faces": [{"box": [x1, y1, x2, y2], "confidence": p, "landmarks": [[x, y] * 5]}, ...]}
Only the upright orientation is searched, as the Swift detector does.
"""
import json
import sys

import numpy as np
from faceie.mtcnn.detect_faces import detect_faces
from PIL import Image, ImageOps


def faceie_faces(image):
    # The published MTCNN settings, as FaceMatrix uses them: minimum face 20 px (so the pyramid starts at
    # 12/20 of the image), factor 0.709 (≈ 1/√2), thresholds 0.6/0.7/0.7, NMS 0.5 within a level, 0.7 after.
    found = detect_faces(
        image,
        pyramid_downscale_factor=1 / 0.709,
        rotations=np.array([0.0]),
        proposal_skip_downscale_factor=20 / 12,
        proposal_probability_threshold=0.6,
        refine_probability_threshold=0.7,
        output_probability_threshold=0.7,
        proposal_maximum_iou=0.5,
        refine_maximum_iou=0.7,
        output_maximum_iou=0.7,
        extract_images=None,
    )
    return [
        {
            "box": [float(v) for v in box],
            "confidence": float(probability),
            "landmarks": [[float(x), float(y)] for x, y in np.asarray(landmarks).reshape(5, 2)],
        }
        for probability, box, landmarks in zip(found.probabilities, found.bounding_boxes, found.landmarks)
    ]


def facenet_faces(detector, image):
    boxes, points = detector.detect(np.asarray(image))
    return [
        {"box": [float(v) for v in box[:4]], "confidence": float(box[4]), "landmarks": pts.tolist()}
        for box, pts in zip(boxes, points)
    ]


def main(implementation, mtcnn_dir, paths):
    detector = None
    if implementation == "facenet":
        from facematrix_models.detect import MTCNN

        detector = MTCNN(mtcnn_dir)
    for path in paths:
        image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        faces = faceie_faces(image) if detector is None else facenet_faces(detector, image)
        print(json.dumps({"path": path, "faces": faces}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
