"""FaceMatrix offline model tooling: converts face-detection and face-embedding
weights to ONNX (+ manifests and a Triton model repository) for the Swift service."""

__version__ = "0.1.0"
