"""facenet-pytorch ``InceptionResnetV1`` state_dict -> ONNX.

The graph mirrors ``facenet_pytorch/models/inception_resnet_v1.py`` (2.6.0):
BasicConv2d = Conv (no bias) + BatchNorm (eps 0.001) + ReLU; Block35 x5
(scale 0.17), Mixed_6a, Block17 x10 (scale 0.10), Mixed_7a, Block8 x5
(scale 0.20), Block8 (scale 1.0, no ReLU), global average pool, dropout
(identity at inference), last_linear (no bias), last_bn (BatchNorm1d, eps 0.001).
The output is the raw 512-D ``last_bn`` output; facenet-pytorch L2-normalises
it afterwards (``F.normalize``), which the service does itself.
The classification head (``logits.*``), if present, is ignored.

Input: ``input`` [N, 3, 160, 160], RGB, value = (pixel - 127.5) / 128
(facenet-pytorch's ``fixed_image_standardization``).
"""

from __future__ import annotations

import numpy as np

from .onnx_graph import GraphBuilder

BN_EPS = 1e-3
IMAGE_SIZE = 160
EMBEDDING_SIZE = 512

# (name, stride, padding) of each BasicConv2d, padding as (pad_h, pad_w)
_STEM = [("conv2d_1a", 2, (0, 0)), ("conv2d_2a", 1, (0, 0)), ("conv2d_2b", 1, (1, 1)),
         "maxpool_3a", ("conv2d_3b", 1, (0, 0)), ("conv2d_4a", 1, (0, 0)), ("conv2d_4b", 2, (0, 0))]

# Residual blocks: branches of (suffix, stride, padding) BasicConv2d chains.
_BLOCK35 = [[("branch0", (0, 0))],
            [("branch1.0", (0, 0)), ("branch1.1", (1, 1))],
            [("branch2.0", (0, 0)), ("branch2.1", (1, 1)), ("branch2.2", (1, 1))]]
_BLOCK17 = [[("branch0", (0, 0))],
            [("branch1.0", (0, 0)), ("branch1.1", (0, 3)), ("branch1.2", (3, 0))]]
_BLOCK8 = [[("branch0", (0, 0))],
           [("branch1.0", (0, 0)), ("branch1.1", (0, 1)), ("branch1.2", (1, 0))]]

# Reduction blocks: branches of (suffix, stride, padding), or "maxpool".
_MIXED_6A = [[("branch0", 2, (0, 0))],
             [("branch1.0", 1, (0, 0)), ("branch1.1", 1, (1, 1)), ("branch1.2", 2, (0, 0))],
             "maxpool"]
_MIXED_7A = [[("branch0.0", 1, (0, 0)), ("branch0.1", 2, (0, 0))],
             [("branch1.0", 1, (0, 0)), ("branch1.1", 2, (0, 0))],
             [("branch2.0", 1, (0, 0)), ("branch2.1", 1, (1, 1)), ("branch2.2", 2, (0, 0))],
             "maxpool"]

_REPEATS = [("repeat_1", 5, _BLOCK35, 0.17), ("repeat_2", 10, _BLOCK17, 0.10),
            ("repeat_3", 5, _BLOCK8, 0.20)]


class _Converter:
    def __init__(self, sd: dict):
        self.sd = {k: v for k, v in sd.items() if not k.startswith("logits.")}
        self.used: set[str] = set()
        self.g = GraphBuilder("inception_resnet_v1")

    def w(self, key: str) -> np.ndarray:
        if key not in self.sd:
            raise ValueError(f"state_dict lacks {key!r} (not a facenet-pytorch InceptionResnetV1?)")
        self.used.add(key)
        return np.asarray(self.sd[key], dtype=np.float32)

    def const(self, key: str) -> str:
        return self.g.const(key, self.w(key))

    def batchnorm(self, prefix: str, x: str) -> str:
        self.used.add(f"{prefix}.num_batches_tracked")
        ins = [x] + [self.const(f"{prefix}.{p}") for p in ("weight", "bias", "running_mean", "running_var")]
        return self.g.node("BatchNormalization", ins, base=prefix, epsilon=BN_EPS)

    def basic_conv(self, prefix: str, x: str, stride: int, pad) -> str:
        w = self.w(f"{prefix}.conv.weight")
        ph, pw = pad
        x = self.g.node("Conv", [x, self.g.const(f"{prefix}.conv.weight", w)], base=f"{prefix}.conv",
                        kernel_shape=list(w.shape[2:]), strides=[stride, stride],
                        pads=[ph, pw, ph, pw], dilations=[1, 1], group=1)
        x = self.batchnorm(f"{prefix}.bn", x)
        return self.g.node("Relu", [x], base=f"{prefix}.relu")

    def maxpool(self, x: str, base: str) -> str:
        return self.g.node("MaxPool", [x], base=base, kernel_shape=[3, 3], strides=[2, 2],
                           pads=[0, 0, 0, 0], ceil_mode=0)

    def residual(self, prefix: str, x: str, branches, scale: float, relu: bool) -> str:
        outs = []
        for chain in branches:
            y = x
            for suffix, pad in chain:
                y = self.basic_conv(f"{prefix}.{suffix}", y, 1, pad)
            outs.append(y)
        y = self.g.node("Concat", outs, base=f"{prefix}.cat", axis=1)
        y = self.g.node("Conv", [y, self.const(f"{prefix}.conv2d.weight"), self.const(f"{prefix}.conv2d.bias")],
                        base=f"{prefix}.conv2d", kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0])
        if scale != 1.0:
            y = self.g.node("Mul", [y, self.g.const(f"{prefix}.scale", np.array(scale, dtype=np.float32))],
                            base=f"{prefix}.scale")
        y = self.g.node("Add", [y, x], base=f"{prefix}.add")
        return self.g.node("Relu", [y], base=f"{prefix}.relu") if relu else y

    def reduction(self, prefix: str, x: str, branches) -> str:
        outs = []
        for i, chain in enumerate(branches):
            if chain == "maxpool":
                outs.append(self.maxpool(x, f"{prefix}.branch{i}"))
                continue
            y = x
            for suffix, stride, pad in chain:
                y = self.basic_conv(f"{prefix}.{suffix}", y, stride, pad)
            outs.append(y)
        return self.g.node("Concat", outs, base=f"{prefix}.cat", axis=1)

    def build(self, producer_version: str):
        g = self.g
        x = g.input("input", ["N", 3, IMAGE_SIZE, IMAGE_SIZE])
        for item in _STEM:
            x = self.maxpool(x, item) if item == "maxpool_3a" else self.basic_conv(item[0], x, item[1], item[2])
        for name, count, branches, scale in _REPEATS:
            for i in range(count):
                x = self.residual(f"{name}.{i}", x, branches, scale, relu=True)
            if name == "repeat_1":
                x = self.reduction("mixed_6a", x, _MIXED_6A)
            elif name == "repeat_2":
                x = self.reduction("mixed_7a", x, _MIXED_7A)
        x = self.residual("block8", x, _BLOCK8, 1.0, relu=False)
        x = g.node("GlobalAveragePool", [x], base="avgpool_1a")
        x = g.node("Flatten", [x], base="flatten", axis=1)
        x = g.node("Gemm", [x, self.const("last_linear.weight")], base="last_linear", transB=1)
        x = self.batchnorm("last_bn", x)
        g.output(x, "embedding", ["N", EMBEDDING_SIZE])
        unused = sorted(set(self.sd) - self.used)
        if unused:
            raise ValueError(f"state_dict has unexpected entries: {unused[:5]}{'...' if len(unused) > 5 else ''}")
        return g.model(doc="facenet-pytorch InceptionResnetV1 (embedding output, not L2-normalised)",
                       producer_version=producer_version)


def build_inception_resnet_v1(state_dict: dict, producer_version: str = ""):
    """Return the ONNX ModelProto for a facenet-pytorch InceptionResnetV1 state_dict."""
    return _Converter(state_dict).build(producer_version)
