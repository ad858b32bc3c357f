"""Triton Inference Server model configurations (``config.pbtxt``) for two targets made from one model list
(``triton_repository``):

- ``production``: ``platform: "onnxruntime_onnx"`` with ``instance_group [{ kind: KIND_GPU, count: 1 }]``, for
  NVIDIA's tritonserver image (24.10, core 2.51), whose ONNX Runtime backend runs ``1/model.onnx`` on the GPU;
- ``cpu``: ``backend: "python"`` with ``instance_group [{ kind: KIND_CPU, count: N }]``; ``1/model.py``
  (``triton_python_model``) runs the same ``1/model.onnx`` with the onnxruntime package. No wheel carries the ONNX
  Runtime backend, so this is how a real tritonserver serves the models on a machine without one
  (``scripts/triton.sh``).

Both have the same names, inputs, outputs, dims, ``max_batch_size`` and dynamic batching. Dims exclude the batch
axis (every model has a dynamic batch axis, so ``max_batch_size`` > 0).

``parse_pbtxt`` (from ``pbtxt``) reads a config back, and ``check_config_against_io`` compares it with the ONNX
graph.
"""

from __future__ import annotations

from .pbtxt import parse_pbtxt

__all__ = ["KSERVE_DTYPES", "ROLE_SETTINGS", "TARGETS", "check_config_against_io", "make_config", "parse_pbtxt"]

_TRITON_DTYPES = {"float32": "TYPE_FP32", "float16": "TYPE_FP16", "int64": "TYPE_INT64",
                  "int32": "TYPE_INT32", "uint8": "TYPE_UINT8"}
# The datatype names of the KServe v2 protocol (what a client sends and reads over HTTP/gRPC).
KSERVE_DTYPES = {"float32": "FP32", "float16": "FP16", "int64": "INT64", "int32": "INT32", "uint8": "UINT8"}

TARGETS = ("production", "cpu")
# How each target runs a model: the config's backend line and its instance kind.
_TARGET_BACKEND = {"production": ("platform", "onnxruntime_onnx", "KIND_GPU"),
                   "cpu": ("backend", "python", "KIND_CPU")}

# Settings per pipeline role: max_batch_size and the dynamic batcher's delay (None = no dynamic batching).
ROLE_SETTINGS = {
    # P-Net: each pyramid level has its own H x W, so the dynamic batcher could not merge requests (it only
    # merges same-shaped ones); a client may still send a batch of same-sized images.
    "pnet": {"max_batch_size": 16, "max_queue_delay_us": None},
    # R-/O-Net: one request holds every candidate crop of a photo; concurrent photos are merged.
    "rnet": {"max_batch_size": 256, "max_queue_delay_us": 1000},
    "onet": {"max_batch_size": 256, "max_queue_delay_us": 1000},
    "embedder": {"max_batch_size": 64, "max_queue_delay_us": 2000},
}
# Threads one ONNX Runtime run may use in the CPU target's model.py (the config's "intra_op_threads" parameter).
CPU_INTRA_OP_THREADS = 1


def _tensor_block(kind: str, specs: list[dict]) -> list[str]:
    lines = [f"{kind} ["]
    for i, spec in enumerate(specs):
        dims = spec["shape"][1:]  # batch dimension excluded when max_batch_size > 0
        lines += ["  {",
                  f'    name: "{spec["name"]}"',
                  f"    data_type: {_TRITON_DTYPES[spec['dtype']]}",
                  f"    dims: [ {', '.join(str(d) for d in dims)} ]",
                  "  }" + ("," if i < len(specs) - 1 else "")]
    lines.append("]")
    return lines


def _parameter_blocks(parameters: dict[str, str]) -> list[str]:
    """``parameters`` map entries (string values), in key order."""
    return [f'parameters {{ key: "{key}" value: {{ string_value: "{value}" }} }}'
            for key, value in sorted(parameters.items())]


def _check_batch_axes(name: str, io: dict, max_batch_size: int) -> None:
    if max_batch_size <= 0:
        raise ValueError("max_batch_size must be > 0 (the ONNX models have a dynamic batch axis)")
    for spec in io["inputs"] + io["outputs"]:
        if spec["shape"][0] != -1:
            raise ValueError(f"{name}: {spec['name']} has no dynamic batch axis")


def make_config(name: str, io: dict, max_batch_size: int, max_queue_delay_us: int | None,
                target: str = "production", instances: int = 1, parameters: dict[str, str] | None = None) -> str:
    """config.pbtxt text for an ONNX model with the given io (from onnx_graph.io_spec or a manifest), for
    ``target`` ("production" or "cpu") with ``instances`` model instances."""
    _check_batch_axes(name, io, max_batch_size)
    key, backend, kind = _TARGET_BACKEND[target]
    lines = [f'name: "{name}"', f'{key}: "{backend}"', f"max_batch_size: {max_batch_size}"]
    lines += _tensor_block("input", io["inputs"])
    lines += _tensor_block("output", io["outputs"])
    lines += ["instance_group [", "  {", f"    kind: {kind}", f"    count: {instances}", "  }", "]"]
    if max_queue_delay_us is not None:
        lines += ["dynamic_batching {", f"  max_queue_delay_microseconds: {max_queue_delay_us}", "}"]
    if target == "cpu":
        parameters = dict(parameters or {}, intra_op_threads=str(CPU_INTRA_OP_THREADS))
    lines += _parameter_blocks(parameters or {})
    return "\n".join(lines) + "\n"


def _backend_problems(config: dict, target: str) -> list[str]:
    key, backend, kind = _TARGET_BACKEND[target]
    problems = []
    if config.get(key) != [backend]:
        problems.append(f"{key} is {config.get(key)}, not {backend!r} ({target})")
    other = "backend" if key == "platform" else "platform"
    if other in config:
        problems.append(f"{other} {config[other]} is set as well ({target})")
    kinds = [group.get("kind") for group in config.get("instance_group", [])]
    if kinds != [[kind]]:
        problems.append(f"instance_group kinds {kinds}, not [{kind}] ({target})")
    return problems


def _tensor_problems(config: dict, io: dict, mbs: int) -> list[str]:
    problems = []
    for kind, key in (("input", "inputs"), ("output", "outputs")):
        cfg = {e["name"][0]: e for e in config.get(kind, [])}
        onnx_specs = {s["name"]: s for s in io[key]}
        if set(cfg) != set(onnx_specs):
            problems.append(f"{kind} names {sorted(cfg)} != ONNX {sorted(onnx_specs)}")
            continue
        for name, spec in onnx_specs.items():
            entry = cfg[name]
            want_dims = spec["shape"][1:] if mbs > 0 else spec["shape"]
            if entry.get("dims") != want_dims:
                problems.append(f"{kind} {name}: dims {entry.get('dims')} != ONNX {want_dims}")
            if entry.get("data_type") != [_TRITON_DTYPES[spec["dtype"]]]:
                problems.append(f"{kind} {name}: data_type {entry.get('data_type')} != {spec['dtype']}")
    return problems


def check_config_against_io(config: dict, io: dict, target: str = "production") -> list[str]:
    """Differences between a parsed config.pbtxt and an ONNX model's io; empty = consistent."""
    mbs = config.get("max_batch_size", [0])[0]
    problems = _backend_problems(config, target)
    if mbs <= 0:
        problems.append(f"max_batch_size is {mbs}: the models have a dynamic batch axis")
    return problems + _tensor_problems(config, io, mbs)
