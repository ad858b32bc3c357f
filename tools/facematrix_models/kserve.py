"""A small KServe v2 HTTP client (standard library + numpy) for checking a Triton server: readiness, model config
and statistics as JSON, and inference with the binary-tensor extension.

Binary-tensor request: body = the JSON header, then each input's raw little-endian bytes in order; the header's
length goes in ``Inference-Header-Content-Length``; each input says ``"parameters": {"binary_data_size": N}`` and
each requested output ``"parameters": {"binary_data": true}``. The response is laid out the same way (its header
length in the same HTTP header), the outputs' bytes following in the order of ``outputs``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np

_NUMPY = {"FP32": "<f4", "FP16": "<f2", "INT64": "<i8", "INT32": "<i4", "UINT8": "u1"}
_KSERVE = {np.dtype(v).name: k for k, v in _NUMPY.items()}
HEADER_LENGTH = "Inference-Header-Content-Length"


class KServeError(Exception):
    """The server answered with an error status; ``status`` is the HTTP status, the message the server's own."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def _open(request, timeout: float) -> tuple[bytes, dict]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            message = json.loads(body)["error"]
        except (ValueError, KeyError):
            message = body.decode(errors="replace")
        raise KServeError(error.code, message) from None


def get_json(base_url: str, path: str, timeout: float = 10.0) -> dict:
    """GET ``base_url + path`` (e.g. ``/v2/models/pnet/config``) as JSON."""
    body, _ = _open(urllib.request.Request(base_url.rstrip("/") + path), timeout)
    return json.loads(body) if body else {}


def is_ready(base_url: str, path: str = "/v2/health/ready", timeout: float = 5.0) -> bool:
    """Whether ``path`` (the server's or a model's ``.../ready``) answers 200."""
    try:
        _open(urllib.request.Request(base_url.rstrip("/") + path), timeout)
        return True
    except (KServeError, OSError):
        return False


def _request_body(inputs: dict[str, np.ndarray], outputs: list[str]) -> tuple[bytes, int]:
    arrays = {name: np.ascontiguousarray(a, dtype=np.dtype(a.dtype).newbyteorder("<")) for name, a in inputs.items()}
    header = {
        "inputs": [{"name": name, "shape": list(a.shape), "datatype": _KSERVE[a.dtype.name],
                    "parameters": {"binary_data_size": a.nbytes}} for name, a in arrays.items()],
        "outputs": [{"name": name, "parameters": {"binary_data": True}} for name in outputs],
    }
    head = json.dumps(header).encode()
    return head + b"".join(a.tobytes() for a in arrays.values()), len(head)


def _response_tensors(body: bytes, header_length: int) -> dict[str, np.ndarray]:
    doc = json.loads(body[:header_length])
    offset, tensors = header_length, {}
    for output in doc["outputs"]:
        size = output["parameters"]["binary_data_size"]
        data = np.frombuffer(body[offset:offset + size], dtype=_NUMPY[output["datatype"]])
        tensors[output["name"]] = data.reshape(output["shape"])
        offset += size
    return tensors


def infer(base_url: str, model: str, inputs: dict[str, np.ndarray], outputs: list[str], version: str = "1",
          timeout: float = 60.0) -> dict[str, np.ndarray]:
    """One inference through ``POST /v2/models/<model>/versions/<version>/infer`` with binary tensors."""
    body, head_length = _request_body(inputs, outputs)
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/v2/models/{model}/versions/{version}/infer", data=body, method="POST",
        headers={"Content-Type": "application/octet-stream", HEADER_LENGTH: str(head_length)})
    reply, headers = _open(request, timeout)
    length = {k.lower(): v for k, v in headers.items()}.get(HEADER_LENGTH.lower())
    if length is None:  # a JSON-only answer: tensors as lists
        doc = json.loads(reply)
        return {o["name"]: np.asarray(o["data"], dtype=_NUMPY[o["datatype"]]).reshape(o["shape"])
                for o in doc["outputs"]}
    return _response_tensors(reply, int(length))
