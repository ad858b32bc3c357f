"""Regenerate facenet_pytorch_detections.json: facenet-pytorch 2.6.0's own
detect_face (torch nets, default settings) on a few test photos.

Development only: needs torch (CPU) and facenet-pytorch in a throw-away venv;
the tests read the JSON and never need torch. torchvision is replaced by a
plain greedy IoU NMS (torchvision.ops.batched_nms semantics: a box is dropped
when its IoU with a kept, higher-scoring box of the same image is > threshold).

    python make_facenet_pytorch_reference.py <shared/testdata/faces> > facenet_pytorch_detections.json
"""

import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGES = [
    "face_recognition/examples/obama.jpg",
    "facenet-pytorch/multiface.jpg",
    "face_recognition/examples/two_people.jpg",
    "lfw/images/Abdel_Aziz_Al-Hakim/Abdel_Aziz_Al-Hakim_0001.jpg",
]


def batched_nms(boxes, scores, idxs, threshold):
    keep = []
    for c in idxs.unique():
        members = (idxs == c).nonzero().flatten()
        b = boxes[members]
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        order = scores[members].argsort(descending=True)
        while order.numel():
            i, rest = order[0], order[1:]
            keep.append(int(members[i]))
            lt = torch.maximum(b[i, :2], b[rest, :2])
            rb = torch.minimum(b[i, 2:], b[rest, 2:])
            inter = (rb - lt).clamp(min=0).prod(dim=1)
            order = rest[inter / (area[i] + area[rest] - inter) <= threshold]
    keep = torch.tensor(keep, dtype=torch.long)
    return keep[scores[keep].argsort(descending=True)]


def load_facenet_pytorch():
    for name in ("torchvision", "torchvision.transforms", "torchvision.ops", "torchvision.ops.boxes"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["torchvision.transforms"].functional = None
    sys.modules["torchvision.ops.boxes"].batched_nms = batched_nms
    root = Path(importlib.util.find_spec("facenet_pytorch").submodule_search_locations[0])
    for name, path in (("facenet_pytorch", root), ("facenet_pytorch.models", root / "models")):
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
    mtcnn = importlib.import_module("facenet_pytorch.models.mtcnn")
    detect = importlib.import_module("facenet_pytorch.models.utils.detect_face")
    return mtcnn, detect.detect_face


def main(faces_dir):
    mtcnn, detect_face = load_facenet_pytorch()
    nets = [mtcnn.PNet().eval(), mtcnn.RNet().eval(), mtcnn.ONet().eval()]
    result = {"generator": "facenet-pytorch 2.6.0 detect_face(min_size=20, thresholds=[0.6,0.7,0.7], "
                           f"factor=0.709), torch {torch.__version__}", "images": {}}
    for rel in IMAGES:
        img = np.asarray(Image.open(Path(faces_dir) / rel).convert("RGB"))
        with torch.no_grad():
            boxes, points = detect_face(img, 20, *nets, [0.6, 0.7, 0.7], 0.709, "cpu")
        result["images"][rel] = {
            "boxes": np.asarray(boxes[0], dtype=np.float64).round(4).tolist(),
            "landmarks": np.asarray(points[0], dtype=np.float64).round(4).tolist(),
        }
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
