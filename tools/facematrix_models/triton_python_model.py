"""Triton Python-backend model that runs the ``model.onnx`` beside it with the onnxruntime package.

``triton_repository`` copies this file as ``<repository>/<model>/1/model.py`` into the CPU repository (``cpu``
target), where tritonserver has no ONNX Runtime backend. It is never imported by the tooling itself: it runs in the
Python backend's stub process, which provides ``triton_python_backend_utils``.

``execute`` receives every request the dynamic batcher merged. Requests whose inputs have the same non-batch dims
are stacked on axis 0 and run once; the outputs are split back per request. Requests of another shape (P-Net's
pyramid levels) run as their own group, so a batch never mixes shapes. A group whose run fails answers each of its
requests with the error; the other groups are unaffected.
"""

import json
import os

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


def _session(path: str, threads: int):
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads and one inter-op thread."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _string_parameter(config: dict, key: str, default: str) -> str:
    return config.get("parameters", {}).get(key, {}).get("string_value", default)


def shape_groups(feeds: list[dict]) -> list[list[int]]:
    """Indices of the requests whose inputs have the same non-batch dims, in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for index, feed in enumerate(feeds):
        key = tuple((name, array.shape[1:]) for name, array in sorted(feed.items()))
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def split_rows(outputs: list, sizes: list[int]) -> list[list]:
    """The rows of each output that belong to each request: ``result[request][output]``."""
    bounds = np.cumsum(sizes)[:-1]
    parts = [np.split(output, bounds) for output in outputs]
    return [[np.ascontiguousarray(part[request]) for part in parts] for request in range(len(sizes))]


class TritonPythonModel:
    """One instance per ``instance_group`` count: one ONNX Runtime session each."""

    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.input_names = [entry["name"] for entry in config["input"]]
        self.output_names = [entry["name"] for entry in config["output"]]
        threads = int(_string_parameter(config, "intra_op_threads", "1"))
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.onnx")
        self.session = _session(path, threads)

    def execute(self, requests):
        feeds = [self._feeds(request) for request in requests]
        responses = [None] * len(requests)
        for indices in shape_groups(feeds):
            for index, response in zip(indices, self._run([feeds[i] for i in indices])):
                responses[index] = response
        return responses

    def finalize(self):
        self.session = None

    def _feeds(self, request) -> dict:
        return {name: pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in self.input_names}

    def _run(self, feeds: list[dict]) -> list:
        """One run over the stacked requests of one shape; one response per request."""
        try:
            batch = {name: np.concatenate([feed[name] for feed in feeds]) for name in self.input_names}
            outputs = self.session.run(self.output_names, batch)
        except Exception as error:  # the run's own message goes back to each caller (HTTP 500 / gRPC INTERNAL)
            return [pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(str(error)))
                    for _ in feeds]
        sizes = [feed[self.input_names[0]].shape[0] for feed in feeds]
        return [pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(name, array)
                                                          for name, array in zip(self.output_names, rows)])
                for rows in split_rows(outputs, sizes)]
