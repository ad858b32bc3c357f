"""A small helper for writing ONNX graphs node by node."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# IR version 8 is the one that goes with opset 17; older ONNX Runtime builds
# (e.g. inside Triton images) accept it.
IR_VERSION = 8

_ONNX_DTYPES = {"float32": TensorProto.FLOAT, "int64": TensorProto.INT64}


class GraphBuilder:
    def __init__(self, name: str):
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._used: set[str] = set()

    def unique(self, base: str) -> str:
        base = base or "t"
        name, i = base, 1
        while name in self._used:
            name = f"{base}_{i}"
            i += 1
        self._used.add(name)
        return name

    def input(self, name: str, shape, dtype: str = "float32") -> str:
        self._used.add(name)
        self.inputs.append(helper.make_tensor_value_info(name, _ONNX_DTYPES[dtype], list(shape)))
        return name

    def output(self, tensor: str, name: str, shape, dtype: str = "float32") -> str:
        """Declare graph output ``name``; ``tensor`` is renamed through an Identity if needed."""
        if tensor != name:
            self._used.add(name)
            self.nodes.append(helper.make_node("Identity", [tensor], [name], name=f"{name}_identity"))
        self.outputs.append(helper.make_tensor_value_info(name, _ONNX_DTYPES[dtype], list(shape)))
        return name

    def const(self, base: str, array) -> str:
        name = self.unique(base)
        array = np.asarray(array)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs, base: str | None = None, n_out: int = 1, **attrs):
        outs = [self.unique(f"{base or op.lower()}" + (f"_out{i}" if n_out > 1 else ""))
                for i in range(n_out)]
        node_name = outs[0] if n_out == 1 else self.unique(f"{base or op.lower()}_node")
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=node_name, **attrs))
        return outs[0] if n_out == 1 else outs

    def model(self, doc: str = "", producer_version: str = "") -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs,
                                  initializer=self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="facematrix_models",
            producer_version=producer_version,
            doc_string=doc,
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def save_model(model: onnx.ModelProto, path) -> None:
    """Serialise deterministically (same model -> same bytes)."""
    data = model.SerializeToString(deterministic=True)
    with open(path, "wb") as f:
        f.write(data)


def io_spec(model: onnx.ModelProto) -> dict:
    """Inputs/outputs of a model as manifest entries: name, shape (-1 = dynamic), dtype."""

    def one(vi):
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type).name
        return {"name": vi.name, "shape": dims, "dtype": dtype}

    inits = {i.name for i in model.graph.initializer}
    return {
        "inputs": [one(v) for v in model.graph.input if v.name not in inits],
        "outputs": [one(v) for v in model.graph.output],
    }
