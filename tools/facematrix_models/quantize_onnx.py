"""The model transformations of ``quantize``: the INT8 recipe (static QDQ) and FP16 weights.

INT8, static QDQ with onnxruntime.quantization: one file runs in OpenVINO, whose ONNX frontend turns each
QuantizeLinear/DequantizeLinear pair into a FakeQuantize and runs those Convs in int8, and in ONNX Runtime. Each
choice was measured as the mean / minimum cosine to FP32 over ~560 aligned LFW crops while finding it:

* ``quant_pre_process`` first: ONNX shape inference and ORT's basic optimisations, which fuse each Conv with the
  Add that holds its bias (the IR keeps them apart), so the bias is quantized with its Conv.
* Only Conv inputs and weights are quantized: uint8 asymmetric activations, int8 symmetric per-channel weights.
  Conv outputs are left to the next Conv's input (``OpTypesToExcludeOutputQuantization``), which is where OpenVINO's
  own quantizer puts them too; PReLU, the squeeze-excitation Sigmoid/Mul and the residual Adds stay f32. (ONNX
  Runtime fuses DQ -> Conv -> Q into an int8 Conv only when the output is quantized too, so it runs this model at
  FP32 speed; quantizing the outputs as well gave it 1.2x at a lower cosine, 0.9946 mean, and OpenVINO runs FP32
  twice as fast as ONNX Runtime anyway.)
* The 8x8 global depthwise Conv before the embedding (``GLOBAL_DEPTHWISE``) always stays f32: its input (the 512
  channels of the last expansion; range -288..48 against a standard deviation of 2.4) has per-channel ranges far
  apart, so one per-tensor uint8 scale wipes most channels out: quantizing that tensor alone drops the mean cosine
  to 0.69-0.71.
* Activation ranges: the 99.99th percentile of |x| over the calibration crops (clipped to the observed min/max),
  not min/max: a few outliers (e.g. -42.9 where 99.99 % of |x| is below 15.8) otherwise set the step. MinMax gave
  mean 0.990 / min 0.85, percentile 99.99 0.994 / 0.94, percentile 99.9 0.979 / 0.79.
* ``int8`` also keeps the other 16 depthwise 3x3 Convs f32: they hold 4.5 % of the 289 M multiply-adds per face.
  ``int8-all`` quantizes them too: mean cosine 0.9957 instead of 0.9970 on the main faces, and on LFW
  (``facematrix evaluate``) it raised the held-out FRR at gallery 1732 by 0.78 pt, past issue 13's 0.5 pt; ``int8``
  raised it by 0.39 pt. It is kept so that the bench can show both.

FP16 weights: every float32 initializer that float16 holds exactly is stored as float16 behind a Cast to float32.
The Intel IR ships FP16 weights and the FP32 ONNX is their exact up-cast, so this model computes the same function
as the FP32 one; only the file is smaller.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .conversions import REID

PERCENTILE = 99.99
# The 8x8 global depthwise Conv (group 512) of face-reidentification-retail-0095's FP32 ONNX (see above).
GLOBAL_DEPTHWISE = "Multiply_8511"


def float_convs(model: onnx.ModelProto, depthwise_int8: bool) -> list[str]:
    """The Convs left f32: every depthwise one, or only the global one when ``depthwise_int8``."""
    depthwise = [n.name for n in model.graph.node if n.op_type == "Conv"
                 and any(a.name == "group" and a.i > 1 for a in n.attribute)]
    if GLOBAL_DEPTHWISE not in depthwise:
        raise ValueError(f"no depthwise Conv named {GLOBAL_DEPTHWISE}: the recipe is made for {REID}")
    return [GLOBAL_DEPTHWISE] if depthwise_int8 else depthwise


class _Crops:
    """onnxruntime CalibrationDataReader over a (N, 3, 128, 128) batch, one crop per call: the histogram
    calibrators stack the calls' outputs and fail when the last batch is shorter."""

    def __init__(self, crops: np.ndarray, input_name: str):
        self.crops, self.input_name, self.next = crops, input_name, 0

    def get_next(self):
        if self.next == len(self.crops):
            return None
        self.next += 1
        return {self.input_name: self.crops[self.next - 1:self.next]}


def _prune_opsets(model: onnx.ModelProto) -> None:
    """Keep only the opset imports that nodes use: ``quant_pre_process`` adds every domain ORT knows
    (com.microsoft, ai.onnx.ml, ...), which other runtimes need not know."""
    used = {n.domain for n in model.graph.node}
    kept = [o for o in model.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend(kept)


def quantize_int8(fp32_path: Path, crops: np.ndarray, depthwise_int8: bool = False,
                  percentile: float = PERCENTILE) -> onnx.ModelProto:
    """Static QDQ INT8 model of ``fp32_path`` calibrated on ``crops`` (N, 3, 128, 128); returns it unsaved."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="facematrix-quantize-") as tmp:
        prepared, quantized = Path(tmp) / "prepared.onnx", Path(tmp) / "quantized.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)  # symbolic: needs sympy
        model = onnx.load(str(prepared))
        quantize_static(
            str(prepared), str(quantized), _Crops(crops, model.graph.input[0].name),
            quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"],
            nodes_to_exclude=float_convs(model, depthwise_int8),
            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": percentile, "OpTypesToExcludeOutputQuantization": ["Conv"]},
        )
        model = onnx.load(str(quantized))
    _prune_opsets(model)
    return model


def fp16_weights(fp32_path: Path) -> onnx.ModelProto:
    """The model with every float32 initializer that float16 holds exactly stored as float16 + Cast to float32."""
    model = onnx.load(str(fp32_path))
    casts, initializers = [], []
    for init in model.graph.initializer:
        value = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and np.array_equal(value.astype(np.float16).astype(np.float32), value):
            initializers.append(numpy_helper.from_array(value.astype(np.float16), f"{init.name}_fp16"))
            casts.append(helper.make_node("Cast", [f"{init.name}_fp16"], [init.name], name=f"{init.name}_cast",
                                          to=TensorProto.FLOAT))
        else:
            initializers.append(init)
    if not casts:
        raise ValueError(f"{fp32_path}: no weight is exactly representable in float16")
    nodes = casts + list(model.graph.node)
    del model.graph.initializer[:], model.graph.node[:]
    model.graph.initializer.extend(initializers)
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model, full_check=True)
    return model
