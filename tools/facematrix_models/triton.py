"""Triton Inference Server model-repository layout: ``<repo>/<model>/config.pbtxt``
and ``<repo>/<model>/1/model.onnx``.

``parse_pbtxt`` reads the protobuf text format subset that these configs use
(scalars, enums, strings, nested messages, repeated fields as ``[...]`` lists or
repeated keys), so that tests can check a config against its ONNX graph.
"""

from __future__ import annotations

import re

_TRITON_DTYPES = {"float32": "TYPE_FP32", "float16": "TYPE_FP16", "int64": "TYPE_INT64",
                  "int32": "TYPE_INT32", "uint8": "TYPE_UINT8"}

# Settings per model: max_batch_size and dynamic batching delay (None = off).
TRITON_SETTINGS = {
    # P-Net: each pyramid level has its own H x W, so requests cannot be merged
    # by the dynamic batcher; a client may still send a batch of same-sized images.
    "pnet": {"max_batch_size": 16, "max_queue_delay_us": None},
    "rnet": {"max_batch_size": 256, "max_queue_delay_us": None},
    "onet": {"max_batch_size": 256, "max_queue_delay_us": None},
    "face-reidentification-retail-0095": {"max_batch_size": 64, "max_queue_delay_us": 2000},
}
DEFAULT_EMBEDDER_SETTINGS = {"max_batch_size": 64, "max_queue_delay_us": 2000}


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


def make_config(name: str, io: dict, max_batch_size: int, max_queue_delay_us: int | None) -> str:
    """config.pbtxt text for an ONNX model with the given io (from onnx_graph.io_spec)."""
    if max_batch_size <= 0:
        raise ValueError("max_batch_size must be > 0 (the ONNX models have a dynamic batch axis)")
    for spec in io["inputs"] + io["outputs"]:
        if spec["shape"][0] != -1:
            raise ValueError(f"{name}: {spec['name']} has no dynamic batch axis")
    lines = [f'name: "{name}"', 'platform: "onnxruntime_onnx"', f"max_batch_size: {max_batch_size}"]
    lines += _tensor_block("input", io["inputs"])
    lines += _tensor_block("output", io["outputs"])
    if max_queue_delay_us is not None:
        lines += ["dynamic_batching {", f"  max_queue_delay_microseconds: {max_queue_delay_us}", "}"]
    return "\n".join(lines) + "\n"


_SKIP = re.compile(r"(?:\s+|#[^\n]*)*")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[{}\[\]:,;<>]')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while True:
        pos = _SKIP.match(text, pos).end()
        if pos >= len(text):
            return out
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"pbtxt: cannot parse near {text[pos:pos + 30]!r}")
        out.append(m.group())
        pos = m.end()


def parse_pbtxt(text: str) -> dict:
    """Parse protobuf text format into a dict; every field maps to a list of values."""
    toks = _tokens(text)
    i = 0

    def scalar(t):
        if t.startswith('"'):
            return bytes(t[1:-1], "utf-8").decode("unicode_escape")
        if re.fullmatch(r"-?\d+", t):
            return int(t)
        if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", t):
            return float(t)
        return t  # enum / identifier (true/false kept as text)

    def value():
        nonlocal i
        t = toks[i]
        if t in ("{", "<"):
            close = "}" if t == "{" else ">"
            i += 1
            return message(close)
        i += 1
        return scalar(t)

    def field_values():
        """The values after a field name and its optional colon: a ``[...]`` list, or one value."""
        nonlocal i
        if toks[i] != "[":
            return [value()]
        i += 1
        items = []
        while toks[i] != "]":
            items.append(value())
            if toks[i] == ",":
                i += 1
        i += 1
        return items

    def message(close):
        nonlocal i
        msg: dict = {}
        while i < len(toks) and toks[i] != close:
            key = toks[i]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
                raise ValueError(f"pbtxt: expected a field name, got {key!r}")
            i += 1
            if toks[i] == ":":
                i += 1
            msg.setdefault(key, []).extend(field_values())
            if i < len(toks) and toks[i] in (",", ";"):
                i += 1
        if close is not None:
            if i >= len(toks):
                raise ValueError("pbtxt: unbalanced braces")
            i += 1
        return msg

    result = message(None)
    if i != len(toks):
        raise ValueError("pbtxt: trailing tokens")
    return result


def check_config_against_io(config: dict, io: dict) -> list[str]:
    """Differences between a parsed config.pbtxt and an ONNX model's io; empty = consistent."""
    problems = []
    if config.get("platform") != ["onnxruntime_onnx"]:
        problems.append(f"platform is {config.get('platform')}")
    mbs = config.get("max_batch_size", [0])[0]
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
