"""MTCNN face detection with the converted ONNX nets and numpy post-processing.

A straight port of facenet-pytorch 2.6.0's ``detect_face`` for one image (its
pyramid, 'area' resizing, box generation, NMS, box regression and landmark
decoding), used by the tests and the calibration tooling to find 5 landmarks
on real photos. It is the reference for the service's own implementation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

STRIDE = 2
CELL_SIZE = 12
MEAN = 127.5
SCALE = 0.0078125


def _area_bounds(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Output i averages input [floor(i*n_in/n_out), ceil((i+1)*n_in/n_out)) (adaptive average pooling)."""
    i = np.arange(n_out, dtype=np.int64)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _area_axis(x: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    start, end = _area_bounds(x.shape[axis], n_out)
    cs = np.cumsum(x, axis=axis, dtype=np.float64)
    cs = np.concatenate([np.zeros_like(np.take(cs, [0], axis=axis)), cs], axis=axis)
    shape = [1] * x.ndim
    shape[axis] = n_out
    return (np.take(cs, end, axis=axis) - np.take(cs, start, axis=axis)) / (end - start).reshape(shape)


def area_resize(chw: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resize a (C, H, W) array like torch.nn.functional.interpolate(mode="area")."""
    return _area_axis(_area_axis(chw, out_h, 1), out_w, 2).astype(np.float32)


class RowIntegral:
    """Cumulative sums down the rows of one image, shared by all its pyramid levels
    (same result as area_resize, without re-summing the full image per level)."""

    def __init__(self, chw: np.ndarray):
        c, h, w = chw.shape
        self.cs = np.zeros((c, h + 1, w), dtype=np.float64)
        np.cumsum(chw, axis=1, dtype=np.float64, out=self.cs[:, 1:])

    def resize(self, out_h: int, out_w: int) -> np.ndarray:
        start, end = _area_bounds(self.cs.shape[1] - 1, out_h)
        rows = (self.cs[:, end] - self.cs[:, start]) / (end - start)[:, None]
        return _area_axis(rows, out_w, 2).astype(np.float32)


def normalise(x: np.ndarray) -> np.ndarray:
    return ((x - MEAN) * SCALE).astype(np.float32)


def pyramid_scales(h: int, w: int, min_face_size: int = 20, factor: float = 0.709) -> list[float]:
    m = 12.0 / min_face_size
    minl = min(h, w) * m
    scales, scale = [], m
    while minl >= 12:
        scales.append(scale)
        scale *= factor
        minl *= factor
    return scales


def pyramid_level(chw: np.ndarray, scale: float, integral: RowIntegral | None = None) -> np.ndarray:
    """P-Net input (1, 3, h', w') for one pyramid scale, normalised."""
    h, w = chw.shape[1:]
    out_h, out_w = int(h * scale + 1), int(w * scale + 1)
    resized = integral.resize(out_h, out_w) if integral is not None else area_resize(chw, out_h, out_w)
    return normalise(resized)[None]


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union",
        plus_one: bool = False) -> np.ndarray:
    """Greedy NMS; drops a box when its overlap with a kept one is > threshold."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    extra = 1.0 if plus_one else 0.0
    area = (x2 - x1 + extra) * (y2 - y1 + extra)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + extra)
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + extra)
        inter = iw * ih
        if mode == "min":
            overlap = inter / np.minimum(area[i], area[rest])
        else:
            overlap = inter / (area[i] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def generate_boxes(reg: np.ndarray, prob: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """P-Net cells with face probability >= threshold -> rows (x1, y1, x2, y2, score, dx1, dy1, dx2, dy2).

    reg: (4, H', W'), prob: (H', W') (channel 1 of the softmax)."""
    rows, cols = np.nonzero(prob >= threshold)
    score = prob[rows, cols]
    x1 = np.floor((STRIDE * cols + 1) / scale)
    y1 = np.floor((STRIDE * rows + 1) / scale)
    x2 = np.floor((STRIDE * cols + CELL_SIZE) / scale)
    y2 = np.floor((STRIDE * rows + CELL_SIZE) / scale)
    return np.stack([x1, y1, x2, y2, score, *reg[:, rows, cols]], axis=1).astype(np.float32)


def rerec(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = np.maximum(w, h)
    boxes[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    boxes[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def bbreg(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0] += reg[:, 0] * w
    boxes[:, 1] += reg[:, 1] * h
    boxes[:, 2] += reg[:, 2] * w
    boxes[:, 3] += reg[:, 3] * h
    return boxes


def crop_batch(chw: np.ndarray, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised (N, 3, size, size) crops of the (truncated, clamped) boxes, and
    the indices of the boxes that gave a non-empty crop."""
    h, w = chw.shape[1:]
    b = np.trunc(boxes[:, :4]).astype(np.int64)
    x, y = np.maximum(b[:, 0], 1), np.maximum(b[:, 1], 1)
    ex, ey = np.minimum(b[:, 2], w), np.minimum(b[:, 3], h)
    crops, kept = [], []
    for k in range(len(b)):
        if ey[k] > y[k] - 1 and ex[k] > x[k] - 1:
            crops.append(area_resize(chw[:, y[k] - 1:ey[k], x[k] - 1:ex[k]], size, size))
            kept.append(k)
    if not crops:
        return np.zeros((0, 3, size, size), np.float32), np.zeros(0, np.int64)
    return normalise(np.stack(crops)), np.asarray(kept, dtype=np.int64)


class MTCNN:
    """Runs the three ONNX nets of ``mtcnn_dir`` with onnxruntime."""

    def __init__(self, mtcnn_dir, min_face_size: int = 20, factor: float = 0.709,
                 thresholds=(0.6, 0.7, 0.7)):
        import onnxruntime as ort

        mtcnn_dir = Path(mtcnn_dir)
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # no busy-waiting between runs: the numpy post-processing needs the cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        self.sessions = {n: ort.InferenceSession(str(mtcnn_dir / f"{n}.onnx"), opts,
                                                 providers=["CPUExecutionProvider"])
                         for n in ("pnet", "rnet", "onet")}
        self.min_face_size, self.factor, self.thresholds = min_face_size, factor, thresholds

    def run(self, net: str, x: np.ndarray) -> list[np.ndarray]:
        return self.sessions[net].run(None, {"input": x})

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """rgb: (H, W, 3) uint8. Returns boxes (n, 5: x1, y1, x2, y2, score) and landmarks (n, 5, 2)."""
        chw = rgb.transpose(2, 0, 1).astype(np.float32)
        h, w = chw.shape[1:]
        t1, t2, t3 = self.thresholds
        empty = (np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32))

        # Stage 1: P-Net over the pyramid
        per_scale = []
        integral = RowIntegral(chw)
        for scale in pyramid_scales(h, w, self.min_face_size, self.factor):
            reg, prob = self.run("pnet", pyramid_level(chw, scale, integral))
            boxes = generate_boxes(reg[0], prob[0, 1], scale, t1)
            per_scale.append(boxes[nms(boxes[:, :4], boxes[:, 4], 0.5)])
        boxes = np.concatenate(per_scale) if per_scale else np.zeros((0, 9), np.float32)
        boxes = boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]
        if len(boxes) == 0:
            return empty
        regw, regh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        boxes = np.stack([boxes[:, 0] + boxes[:, 5] * regw, boxes[:, 1] + boxes[:, 6] * regh,
                          boxes[:, 2] + boxes[:, 7] * regw, boxes[:, 3] + boxes[:, 8] * regh,
                          boxes[:, 4]], axis=1)
        boxes = rerec(boxes)

        # Stage 2: R-Net
        crops, kept = crop_batch(chw, boxes, 24)
        if len(kept) == 0:
            return empty
        boxes = boxes[kept]
        reg, prob = self.run("rnet", crops)
        ok = prob[:, 1] > t2
        boxes = np.concatenate([boxes[ok, :4], prob[ok, 1:2]], axis=1)
        reg = reg[ok]
        keep = nms(boxes[:, :4], boxes[:, 4], 0.7)
        boxes = rerec(bbreg(boxes[keep], reg[keep]))
        if len(boxes) == 0:
            return empty

        # Stage 3: O-Net
        crops, kept = crop_batch(chw, boxes, 48)
        if len(kept) == 0:
            return empty
        boxes = boxes[kept]
        reg, lm, prob = self.run("onet", crops)
        ok = prob[:, 1] > t3
        boxes = np.concatenate([boxes[ok, :4], prob[ok, 1:2]], axis=1)
        reg, lm = reg[ok], lm[ok]
        bw = boxes[:, 2] - boxes[:, 0] + 1
        bh = boxes[:, 3] - boxes[:, 1] + 1
        px = bw[:, None] * lm[:, :5] + boxes[:, 0:1] - 1
        py = bh[:, None] * lm[:, 5:] + boxes[:, 1:2] - 1
        points = np.stack([px, py], axis=2)
        boxes = bbreg(boxes, reg)
        keep = nms(boxes[:, :4], boxes[:, 4], 0.7, mode="min", plus_one=True)
        return boxes[keep].astype(np.float32), points[keep].astype(np.float32)
