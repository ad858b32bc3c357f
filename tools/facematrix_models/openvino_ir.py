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

from .openvino_ops import IRFormatError, LayerConverter, UnsupportedOpError

SUPPORTED_OPS = ("Parameter", "Const", "Convert", "Convolution", "GroupConvolution", "PReLU",
                 "Add", "Multiply", "AvgPool", "Sigmoid", "Result")

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


class _Graph:
    """The parsed IR: its layers, which output feeds each input port, and a topological order of the layers."""

    def __init__(self, xml_path: Path):
        self.root = ET.parse(xml_path).getroot()
        if self.root.tag != "net" or self.root.get("version") not in ("10", "11"):
            raise IRFormatError(f"{xml_path}: not an OpenVINO IR v10/v11 file")
        self._read_layers()
        self._read_edges()
        types = [layer.type for layer in self.layers.values()]
        if types.count("Parameter") != 1 or types.count("Result") != 1:
            raise IRFormatError("expected exactly one Parameter and one Result")

    def _read_layers(self):
        self.layers = {}
        for el in self.root.find("layers").findall("layer"):
            layer = _Layer(el)
            if layer.type not in SUPPORTED_OPS:
                raise UnsupportedOpError(f"unsupported IR op {layer.type!r} (layer {layer.name!r})")
            if layer.version != "opset1":
                # the converters below implement opset1 semantics only
                raise UnsupportedOpError(f"{layer.type} {layer.name}: version {layer.version!r}")
            self.layers[layer.id] = layer

    def _read_edges(self):
        # incoming[(to_layer, to_port)] = (from_layer, from_port)
        self.incoming = {}
        self._successors = defaultdict(list)
        for e in self.root.find("edges").findall("edge"):
            fl, fp, tl, tp = e.get("from-layer"), e.get("from-port"), e.get("to-layer"), e.get("to-port")
            if (tl, tp) in self.incoming:
                raise IRFormatError(f"two edges into layer {tl} port {tp}")
            self.incoming[(tl, tp)] = (fl, fp)
            self._successors[fl].append(tl)

    def order(self) -> list[str]:
        """Kahn's algorithm; ties broken by layer id for a deterministic node order."""
        indeg = {lid: 0 for lid in self.layers}
        for targets in self._successors.values():
            for target in targets:
                indeg[target] += 1
        order = []
        ready = deque(sorted((lid for lid, d in indeg.items() if d == 0), key=int))
        while ready:
            lid = ready.popleft()
            order.append(lid)
            for nxt in sorted(self._successors[lid], key=int):
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    ready.append(nxt)
        if len(order) != len(self.layers):
            raise IRFormatError("IR graph has a cycle")
        return order


def convert_ir(xml_path, bin_path=None, input_name: str = "input", output_name: str = "embedding",
               producer_version: str = "", flatten_output: bool = True):
    """Convert an IR to an ONNX ModelProto with one input and one output."""
    xml_path = Path(xml_path)
    bin_path = Path(bin_path) if bin_path else xml_path.with_suffix(".bin")
    graph = _Graph(xml_path)
    converter = LayerConverter(graph, np.fromfile(bin_path, dtype=np.uint8), input_name)
    for lid in graph.order():
        converter.emit(graph.layers[lid])
    converter.finish(output_name, flatten_output)
    return converter.g.model(doc=f"converted from OpenVINO IR {xml_path.name}", producer_version=producer_version)
