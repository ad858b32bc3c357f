"""Writes tiny ONNX models with known weights for the ONNX Runtime wrapper's tests.

Usage: make_tiny_models.py OUTPUT_DIR
  gemm.onnx: y = x @ W.T + b with x [N,4], W [3,4] = arange(12)/10, b = [1,2,3]
  conv.onnx: a 1→2 channel 3×3 convolution, no padding, x [N,1,H,W] (dynamic H, W), weights arange(18)/10, bias [0.5,-0.5]
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(out):
    w = (np.arange(12, dtype=np.float32) / 10).reshape(3, 4)
    b = np.array([1, 2, 3], dtype=np.float32)
    save(
        helper.make_graph(
            [helper.make_node("Gemm", ["x", "W", "b"], ["y"], transB=1)],
            "gemm",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
            [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
        ),
        f"{out}/gemm.onnx",
    )
    k = (np.arange(18, dtype=np.float32) / 10).reshape(2, 1, 3, 3)
    kb = np.array([0.5, -0.5], dtype=np.float32)
    save(
        helper.make_graph(
            [helper.make_node("Conv", ["x", "K", "kb"], ["y"], kernel_shape=[3, 3])],
            "conv",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, "H", "W"])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, "H2", "W2"])],
            [numpy_helper.from_array(k, "K"), numpy_helper.from_array(kb, "kb")],
        ),
        f"{out}/conv.onnx",
    )


if __name__ == "__main__":
    main(sys.argv[1])
