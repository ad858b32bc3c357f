"""The ONNX counterpart of each OpenVINO IR (opset1) layer type that :mod:`openvino_ir` supports, one method per
layer type. Constants are folded into FP32 initializers as they are met."""

from __future__ import annotations

import numpy as np

from .onnx_graph import GraphBuilder

_IR_DTYPES = {
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i64": np.int64, "i32": np.int32, "i8": np.int8, "u8": np.uint8,
}


class UnsupportedOpError(ValueError):
    pass


class IRFormatError(ValueError):
    pass


def _ints(s: str) -> list[int]:
    return [int(v) for v in s.replace(" ", "").split(",") if v != ""]


def _auto_pad(layer) -> dict:
    """ONNX auto_pad/pads attributes for an IR conv/pool layer."""
    mode = layer.data.get("auto_pad", "explicit").lower()
    if mode in ("explicit", "notset", ""):
        b, e = _ints(layer.data.get("pads_begin", "0,0")), _ints(layer.data.get("pads_end", "0,0"))
        return {"pads": b + e}
    if mode == "valid":
        return {"auto_pad": "VALID"}
    if mode in ("same_upper", "same_lower"):
        return {"auto_pad": mode.upper()}
    raise UnsupportedOpError(f"{layer.type} {layer.name}: auto_pad={mode!r}")


def _check_broadcast(layer):
    mode = layer.data.get("auto_broadcast", "numpy").lower()
    if mode not in ("numpy", "none"):
        raise UnsupportedOpError(f"{layer.type} {layer.name}: auto_broadcast={mode!r}")


class LayerConverter:
    """Emits the ONNX nodes of one IR layer at a time, in topological order (one method per IR op)."""

    def __init__(self, graph, weights: np.ndarray, input_name: str):
        self.graph = graph
        self.weights = weights
        self.input_name = input_name
        self.g = GraphBuilder(graph.root.get("name") or "openvino_ir")
        self.consts: dict[tuple[str, str], np.ndarray] = {}   # folded constant values
        self.tensors: dict[tuple[str, str], str] = {}          # ONNX tensor name of each output port
        self.result: tuple[str, list[int]] | None = None        # the Result's tensor and dims
        self.table = {
            "Parameter": self.parameter, "Const": self.const, "Convert": self.convert_layer,
            "Convolution": self.convolution, "GroupConvolution": self.convolution, "PReLU": self.prelu,
            "Add": self.elementwise, "Multiply": self.elementwise, "AvgPool": self.avg_pool,
            "Sigmoid": self.sigmoid, "Result": self.result_layer,
        }

    def emit(self, layer):
        self.table[layer.type](layer)

    # Inputs and outputs of a layer

    def src(self, layer, idx: int):
        return self.graph.incoming[(layer.id, layer.in_ports[idx])]

    def tensor(self, layer, idx: int, base: str) -> str:
        key = self.src(layer, idx)
        if key in self.tensors:
            return self.tensors[key]
        if key in self.consts:
            self.tensors[key] = self.g.const(base, self.consts[key].astype(np.float32))
            return self.tensors[key]
        raise IRFormatError(f"layer {layer.name}: input {idx} has no producer")

    def const_of(self, layer, idx: int) -> np.ndarray:
        key = self.src(layer, idx)
        if key not in self.consts:
            raise UnsupportedOpError(f"{layer.type} {layer.name}: input {idx} must be a constant")
        return self.consts[key].astype(np.float32)

    @staticmethod
    def out_key(layer):
        if len(layer.out_ports) != 1:
            raise IRFormatError(f"{layer.type} {layer.name}: expected one output port")
        return (layer.id, layer.out_ports[0])

    def node(self, layer, op: str, inputs: list[str], **attrs):
        self.tensors[self.out_key(layer)] = self.g.node(op, inputs, base=layer.name, **attrs)

    # One converter per IR op

    def parameter(self, layer):
        etype = layer.data.get("element_type", "f32")
        if etype != "f32":
            raise UnsupportedOpError(f"Parameter {layer.name}: element_type {etype}")
        dims = _ints(layer.data["shape"])
        if len(dims) != 4 or dims[0] != 1:
            raise IRFormatError(f"Parameter {layer.name}: expected a [1,C,H,W] input, got {dims}")
        self.tensors[self.out_key(layer)] = self.g.input(self.input_name, ["N"] + dims[1:])

    def const(self, layer):
        dtype = _IR_DTYPES.get(layer.data.get("element_type"))
        if dtype is None:
            raise UnsupportedOpError(f"Const {layer.name}: element_type {layer.data.get('element_type')}")
        off, size = int(layer.data["offset"]), int(layer.data["size"])
        if off + size > self.weights.size:
            raise IRFormatError(f"Const {layer.name}: data beyond the end of the .bin")
        arr = self.weights[off:off + size].view(np.dtype(dtype).newbyteorder("<"))
        self.consts[self.out_key(layer)] = arr.reshape(_ints(layer.data.get("shape", ""))).copy()

    def convert_layer(self, layer):
        dest = layer.data.get("destination_type")
        if dest != "f32":
            raise UnsupportedOpError(f"Convert {layer.name}: destination_type {dest}")
        key = self.src(layer, 0)
        if key in self.consts:  # weight decompression: fold f16 -> f32 (exact)
            self.consts[self.out_key(layer)] = self.consts[key].astype(np.float32)
        else:
            self.node(layer, "Cast", [self.tensor(layer, 0, layer.name)], to=1)

    def convolution(self, layer):
        w = self.const_of(layer, 1)
        attrs = dict(strides=_ints(layer.data["strides"]), dilations=_ints(layer.data["dilations"]), group=1)
        attrs.update(_auto_pad(layer))
        if layer.type == "GroupConvolution":
            # IR: [G, C_out/G, C_in/G, kH, kW]  ->  ONNX: [C_out, C_in/G, kH, kW], group=G
            attrs["group"] = w.shape[0]
            w = w.reshape((w.shape[0] * w.shape[1],) + w.shape[2:])
        attrs["kernel_shape"] = list(w.shape[2:])
        wname = self.g.const(f"{layer.name}_weight", w)
        self.node(layer, "Conv", [self.tensor(layer, 0, layer.name), wname], **attrs)

    def prelu(self, layer):
        slope = self.const_of(layer, 1)
        rank = len(layer.in_dims[layer.in_ports[0]])
        if slope.ndim == 1 and slope.size > 1 and rank >= 3:
            # OpenVINO applies a 1-D slope along the channel axis (1); ONNX
            # broadcasts from the right, so make it [C, 1, ..., 1].
            slope = slope.reshape((-1,) + (1,) * (rank - 2))
        sname = self.g.const(f"{layer.name}_slope", slope)
        self.node(layer, "PRelu", [self.tensor(layer, 0, layer.name), sname])

    def elementwise(self, layer):
        _check_broadcast(layer)
        a, b = self.tensor(layer, 0, f"{layer.name}_a"), self.tensor(layer, 1, f"{layer.name}_b")
        self.node(layer, "Add" if layer.type == "Add" else "Mul", [a, b])

    def avg_pool(self, layer):
        rounding = layer.data.get("rounding_type", "floor").lower()
        if rounding not in ("floor", "ceil"):
            raise UnsupportedOpError(f"AvgPool {layer.name}: rounding_type={rounding!r}")
        exclude_pad = layer.data.get("exclude-pad", "false").lower() == "true"
        attrs = dict(kernel_shape=_ints(layer.data["kernel"]), strides=_ints(layer.data["strides"]),
                     ceil_mode=int(rounding == "ceil"), count_include_pad=int(not exclude_pad))
        attrs.update(_auto_pad(layer))
        self.node(layer, "AveragePool", [self.tensor(layer, 0, layer.name)], **attrs)

    def sigmoid(self, layer):
        self.node(layer, "Sigmoid", [self.tensor(layer, 0, layer.name)])

    def result_layer(self, layer):
        self.result = (self.tensor(layer, 0, layer.name), layer.in_dims[layer.in_ports[0]])

    def finish(self, output_name: str, flatten_output: bool):
        out_tensor, out_dims = self.result
        if not flatten_output:
            self.g.output(out_tensor, output_name, ["N"] + out_dims[1:])
            return
        if any(d != 1 for d in out_dims[2:]):
            raise IRFormatError(f"cannot flatten output of shape {out_dims}")
        flat = self.g.node("Flatten", [out_tensor], base="flatten", axis=1)
        self.g.output(flat, output_name, ["N", out_dims[1]])
