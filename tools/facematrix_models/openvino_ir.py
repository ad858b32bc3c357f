"""OpenVINO IR (v10/v11 XML + .bin) -> ONNX, for the small op set of Intel's
face-reidentification-retail-0095 (and similar Open Model Zoo CNNs).

Supported layer types (all opset1 semantics):
Parameter, Const, Convert, Convolution, GroupConvolution, PReLU, Add, Multiply,
AvgPool, Sigmoid, Result. Anything else raises :class:`UnsupportedOpError`.

Constants (``Const`` -> ``Convert``) are folded into FP32 initializers. The
IR's fixed batch of 1 is replaced by a dynamic batch ``N``; a final Flatten
turns the [N, C, 1, 1] result into [N, C].
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict, deque
from pathlib import Path

import numpy as np

from .onnx_graph import GraphBuilder

SUPPORTED_OPS = ("Parameter", "Const", "Convert", "Convolution", "GroupConvolution", "PReLU",
                 "Add", "Multiply", "AvgPool", "Sigmoid", "Result")

_IR_DTYPES = {
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i64": np.int64, "i32": np.int32, "i8": np.int8, "u8": np.uint8,
}


class UnsupportedOpError(ValueError):
    pass


class IRFormatError(ValueError):
    pass


class _Layer:
    def __init__(self, el: ET.Element):
        self.id = el.get("id")
        self.name = el.get("name") or f"layer{self.id}"
        self.type = el.get("type")
        self.version = el.get("version")
        data = el.find("data")
        self.data = dict(data.attrib) if data is not None else {}
        self.in_ports = []
        self.in_dims = {}
        inp = el.find("input")
        if inp is not None:
            for p in inp.findall("port"):
                self.in_ports.append(p.get("id"))
                self.in_dims[p.get("id")] = [int(d.text) for d in p.findall("dim")]
        self.out_ports = []
        self.out_dims = {}
        out = el.find("output")
        if out is not None:
            for p in out.findall("port"):
                self.out_ports.append(p.get("id"))
                self.out_dims[p.get("id")] = [int(d.text) for d in p.findall("dim")]


def _ints(s: str) -> list[int]:
    return [int(v) for v in s.replace(" ", "").split(",") if v != ""]


def _auto_pad(layer: _Layer) -> dict:
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


def _check_broadcast(layer: _Layer):
    mode = layer.data.get("auto_broadcast", "numpy").lower()
    if mode not in ("numpy", "none"):
        raise UnsupportedOpError(f"{layer.type} {layer.name}: auto_broadcast={mode!r}")


def convert_ir(xml_path, bin_path=None, input_name: str = "input", output_name: str = "embedding",
               producer_version: str = "", flatten_output: bool = True):
    """Convert an IR to an ONNX ModelProto with one input and one output."""
    xml_path = Path(xml_path)
    bin_path = Path(bin_path) if bin_path else xml_path.with_suffix(".bin")
    root = ET.parse(xml_path).getroot()
    if root.tag != "net" or root.get("version") not in ("10", "11"):
        raise IRFormatError(f"{xml_path}: not an OpenVINO IR v10/v11 file")
    weights = np.fromfile(bin_path, dtype=np.uint8)

    layers = {}
    for el in root.find("layers").findall("layer"):
        layer = _Layer(el)
        if layer.type not in SUPPORTED_OPS:
            raise UnsupportedOpError(f"unsupported IR op {layer.type!r} (layer {layer.name!r})")
        if layer.version != "opset1":
            # the mapping below implements opset1 semantics only
            raise UnsupportedOpError(f"{layer.type} {layer.name}: version {layer.version!r}")
        layers[layer.id] = layer

    # incoming[(to_layer, to_port)] = (from_layer, from_port)
    incoming = {}
    succ = defaultdict(list)
    indeg = {lid: 0 for lid in layers}
    for e in root.find("edges").findall("edge"):
        fl, fp, tl, tp = e.get("from-layer"), e.get("from-port"), e.get("to-layer"), e.get("to-port")
        if (tl, tp) in incoming:
            raise IRFormatError(f"two edges into layer {tl} port {tp}")
        incoming[(tl, tp)] = (fl, fp)
        succ[fl].append(tl)
        indeg[tl] += 1

    # Kahn's algorithm; ties broken by layer id for a deterministic node order.
    order = []
    ready = deque(sorted((l for l, d in indeg.items() if d == 0), key=int))
    while ready:
        lid = ready.popleft()
        order.append(lid)
        for nxt in sorted(succ[lid], key=int):
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(layers):
        raise IRFormatError("IR graph has a cycle")

    g = GraphBuilder(root.get("name") or "openvino_ir")
    consts: dict[tuple[str, str], np.ndarray] = {}   # folded constant values
    tensors: dict[tuple[str, str], str] = {}          # ONNX tensor name of each output port
    params = [l for l in layers.values() if l.type == "Parameter"]
    results = [l for l in layers.values() if l.type == "Result"]
    if len(params) != 1 or len(results) != 1:
        raise IRFormatError("expected exactly one Parameter and one Result")

    def src(layer: _Layer, idx: int):
        return incoming[(layer.id, layer.in_ports[idx])]

    def tensor(layer, idx, base):
        key = src(layer, idx)
        if key in tensors:
            return tensors[key]
        if key in consts:
            tensors[key] = g.const(base, consts[key].astype(np.float32))
            return tensors[key]
        raise IRFormatError(f"layer {layer.name}: input {idx} has no producer")

    def const_of(layer, idx):
        key = src(layer, idx)
        if key not in consts:
            raise UnsupportedOpError(f"{layer.type} {layer.name}: input {idx} must be a constant")
        return consts[key].astype(np.float32)

    def out_key(layer):
        if len(layer.out_ports) != 1:
            raise IRFormatError(f"{layer.type} {layer.name}: expected one output port")
        return (layer.id, layer.out_ports[0])

    out_tensor = None
    for lid in order:
        L = layers[lid]
        t = L.type
        if t == "Parameter":
            etype = L.data.get("element_type", "f32")
            if etype != "f32":
                raise UnsupportedOpError(f"Parameter {L.name}: element_type {etype}")
            dims = _ints(L.data["shape"])
            if len(dims) != 4 or dims[0] != 1:
                raise IRFormatError(f"Parameter {L.name}: expected a [1,C,H,W] input, got {dims}")
            tensors[out_key(L)] = g.input(input_name, ["N"] + dims[1:])
        elif t == "Const":
            dtype = _IR_DTYPES.get(L.data.get("element_type"))
            if dtype is None:
                raise UnsupportedOpError(f"Const {L.name}: element_type {L.data.get('element_type')}")
            off, size = int(L.data["offset"]), int(L.data["size"])
            shape = _ints(L.data.get("shape", ""))
            if off + size > weights.size:
                raise IRFormatError(f"Const {L.name}: data beyond the end of the .bin")
            arr = weights[off:off + size].view(np.dtype(dtype).newbyteorder("<"))
            consts[out_key(L)] = arr.reshape(shape).copy()
        elif t == "Convert":
            dest = L.data.get("destination_type")
            if dest != "f32":
                raise UnsupportedOpError(f"Convert {L.name}: destination_type {dest}")
            key = src(L, 0)
            if key in consts:  # weight decompression: fold f16 -> f32 (exact)
                consts[out_key(L)] = consts[key].astype(np.float32)
            else:
                tensors[out_key(L)] = g.node("Cast", [tensor(L, 0, L.name)], base=L.name, to=1)
        elif t in ("Convolution", "GroupConvolution"):
            w = const_of(L, 1)
            attrs = dict(strides=_ints(L.data["strides"]), dilations=_ints(L.data["dilations"]))
            attrs.update(_auto_pad(L))
            if t == "GroupConvolution":
                # IR: [G, C_out/G, C_in/G, kH, kW]  ->  ONNX: [C_out, C_in/G, kH, kW], group=G
                groups = w.shape[0]
                w = w.reshape((groups * w.shape[1],) + w.shape[2:])
                attrs["group"] = groups
            else:
                attrs["group"] = 1
            attrs["kernel_shape"] = list(w.shape[2:])
            wname = g.const(f"{L.name}_weight", w)
            tensors[out_key(L)] = g.node("Conv", [tensor(L, 0, L.name), wname], base=L.name, **attrs)
        elif t == "PReLU":
            slope = const_of(L, 1)
            rank = len(L.in_dims[L.in_ports[0]])
            if slope.ndim == 1 and slope.size > 1 and rank >= 3:
                # OpenVINO applies a 1-D slope along the channel axis (1); ONNX
                # broadcasts from the right, so make it [C, 1, ..., 1].
                slope = slope.reshape((-1,) + (1,) * (rank - 2))
            sname = g.const(f"{L.name}_slope", slope)
            tensors[out_key(L)] = g.node("PRelu", [tensor(L, 0, L.name), sname], base=L.name)
        elif t in ("Add", "Multiply"):
            _check_broadcast(L)
            a, b = tensor(L, 0, f"{L.name}_a"), tensor(L, 1, f"{L.name}_b")
            tensors[out_key(L)] = g.node("Add" if t == "Add" else "Mul", [a, b], base=L.name)
        elif t == "AvgPool":
            rounding = L.data.get("rounding_type", "floor").lower()
            if rounding not in ("floor", "ceil"):
                raise UnsupportedOpError(f"AvgPool {L.name}: rounding_type={rounding!r}")
            exclude_pad = L.data.get("exclude-pad", "false").lower() == "true"
            attrs = dict(kernel_shape=_ints(L.data["kernel"]), strides=_ints(L.data["strides"]),
                         ceil_mode=int(rounding == "ceil"), count_include_pad=int(not exclude_pad))
            attrs.update(_auto_pad(L))
            tensors[out_key(L)] = g.node("AveragePool", [tensor(L, 0, L.name)], base=L.name, **attrs)
        elif t == "Sigmoid":
            tensors[out_key(L)] = g.node("Sigmoid", [tensor(L, 0, L.name)], base=L.name)
        elif t == "Result":
            out_tensor = tensor(L, 0, L.name)
            out_dims = L.in_dims[L.in_ports[0]]
        else:  # pragma: no cover - filtered above
            raise UnsupportedOpError(t)

    if flatten_output:
        if any(d != 1 for d in out_dims[2:]):
            raise IRFormatError(f"cannot flatten output of shape {out_dims}")
        flat = g.node("Flatten", [out_tensor], base="flatten", axis=1)
        g.output(flat, output_name, ["N", out_dims[1]])
    else:
        g.output(out_tensor, output_name, ["N"] + out_dims[1:])
    return g.model(doc=f"converted from OpenVINO IR {xml_path.name}", producer_version=producer_version)
