"""MTCNN P-/R-/O-Net: facenet-pytorch 2.6.0 state_dicts -> ONNX.

The graphs mirror ``facenet_pytorch/models/mtcnn.py`` layer for layer:

* every conv is a plain (bias, no padding) Conv followed by a per-channel PReLU;
* max pools use ``ceil_mode=True`` (P-Net 2/2; R-Net 3/2, 3/2; O-Net 3/2, 3/2, 2/2);
* before the first dense layer facenet-pytorch does ``x.permute(0, 3, 2, 1)``
  (N,C,H,W -> N,W,H,C) and flattens; we emit the same Transpose + Flatten, so
  the dense weights are used exactly as stored;
* softmax over the class axis (axis 1); channel/column 1 is "face".

Input convention (that of facenet-pytorch's ``detect_face``): RGB, NCHW, the
image is *not* transposed (H is the row axis; facenet-pytorch folded the
transpose that the original Caffe/TensorFlow MTCNN needs into its conv kernels
and its permute before the dense layers), value = (pixel - 127.5) * 0.0078125.
"""

from __future__ import annotations

import numpy as np

from .onnx_graph import GraphBuilder

# (kernel, stride) of each ceil-mode max pool, after the conv with the same index
_POOLS = {
    "pnet": {1: (2, 2)},
    "rnet": {1: (3, 2), 2: (3, 2)},
    "onet": {1: (3, 2), 2: (3, 2), 3: (2, 2)},
}
_N_CONV = {"pnet": 3, "rnet": 3, "onet": 4}

EXPECTED_PARAMS = {"pnet": 6632, "rnet": 100178, "onet": 389040}

# Network I/O as exported (shape -1 = dynamic).
NETWORK_IO = {
    "pnet": {
        "inputs": [("input", [-1, 3, -1, -1])],
        "outputs": [("reg", [-1, 4, -1, -1]), ("prob", [-1, 2, -1, -1])],
    },
    "rnet": {
        "inputs": [("input", [-1, 3, 24, 24])],
        "outputs": [("reg", [-1, 4]), ("prob", [-1, 2])],
    },
    "onet": {
        "inputs": [("input", [-1, 3, 48, 48])],
        "outputs": [("reg", [-1, 4]), ("landmarks", [-1, 10]), ("prob", [-1, 2])],
    },
}

_SYMBOLIC = {
    "pnet": {"input": ["N", 3, "H", "W"], "reg": ["N", 4, "Hout", "Wout"], "prob": ["N", 2, "Hout", "Wout"]},
    "rnet": {"input": ["N", 3, 24, 24], "reg": ["N", 4], "prob": ["N", 2]},
    "onet": {"input": ["N", 3, 48, 48], "reg": ["N", 4], "landmarks": ["N", 10], "prob": ["N", 2]},
}


def _f32(sd, key):
    try:
        return np.asarray(sd[key], dtype=np.float32)
    except KeyError:
        raise ValueError(f"state_dict lacks {key!r}") from None


def build_network(kind: str, sd: dict, producer_version: str = ""):
    """Return the ONNX ModelProto for ``kind`` in {"pnet","rnet","onet"}."""
    if kind not in _N_CONV:
        raise ValueError(f"unknown MTCNN network {kind!r}")
    n_params = sum(int(np.asarray(v).size) for v in sd.values())
    if n_params != EXPECTED_PARAMS[kind]:
        raise ValueError(f"{kind}: {n_params} parameters, expected {EXPECTED_PARAMS[kind]}")

    shapes = _SYMBOLIC[kind]
    g = GraphBuilder(f"mtcnn_{kind}")
    x = g.input("input", shapes["input"])

    for i in range(1, _N_CONV[kind] + 1):
        w, b = _f32(sd, f"conv{i}.weight"), _f32(sd, f"conv{i}.bias")
        x = g.node("Conv", [x, g.const(f"conv{i}.weight", w), g.const(f"conv{i}.bias", b)],
                   base=f"conv{i}", kernel_shape=list(w.shape[2:]), strides=[1, 1],
                   pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
        slope = _f32(sd, f"prelu{i}.weight").reshape(-1, 1, 1)
        x = g.node("PRelu", [x, g.const(f"prelu{i}.weight", slope)], base=f"prelu{i}")
        if i in _POOLS[kind]:
            k, s = _POOLS[kind][i]
            x = g.node("MaxPool", [x], base=f"pool{i}", kernel_shape=[k, k], strides=[s, s],
                       pads=[0, 0, 0, 0], ceil_mode=1)

    def conv1x1(name, inp):
        w, b = _f32(sd, f"{name}.weight"), _f32(sd, f"{name}.bias")
        return g.node("Conv", [inp, g.const(f"{name}.weight", w), g.const(f"{name}.bias", b)],
                      base=name, kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0])

    def dense(name, inp):
        w, b = _f32(sd, f"{name}.weight"), _f32(sd, f"{name}.bias")
        return g.node("Gemm", [inp, g.const(f"{name}.weight", w), g.const(f"{name}.bias", b)],
                      base=name, transB=1, alpha=1.0, beta=1.0)

    if kind == "pnet":
        logits = conv1x1("conv4_1", x)
        prob = g.node("Softmax", [logits], base="softmax4_1", axis=1)
        reg = conv1x1("conv4_2", x)
        g.output(reg, "reg", shapes["reg"])
        g.output(prob, "prob", shapes["prob"])
    else:
        # facenet-pytorch: x.permute(0, 3, 2, 1).contiguous().view(N, -1)
        x = g.node("Transpose", [x], base="permute", perm=[0, 3, 2, 1])
        x = g.node("Flatten", [x], base="flatten", axis=1)
        d1, d2 = ("dense4", "dense5") if kind == "rnet" else ("dense5", "dense6")
        x = dense(d1, x)
        last_prelu = _N_CONV[kind] + 1
        x = g.node("PRelu", [x, g.const(f"prelu{last_prelu}.weight", _f32(sd, f"prelu{last_prelu}.weight"))],
                   base=f"prelu{last_prelu}")
        prob = g.node("Softmax", [dense(f"{d2}_1", x)], base=f"softmax{d2[-1]}_1", axis=1)
        reg = dense(f"{d2}_2", x)
        g.output(reg, "reg", shapes["reg"])
        if kind == "onet":
            g.output(dense(f"{d2}_3", x), "landmarks", shapes["landmarks"])
        g.output(prob, "prob", shapes["prob"])

    return g.model(doc=f"MTCNN {kind} converted from facenet-pytorch weights",
                   producer_version=producer_version)
