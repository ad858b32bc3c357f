"""Triton model repositories, made from the model folder's manifests: one model list (``triton_models``, which
also names each role's Triton model), two targets (``triton.TARGETS``).

Every model has one version, ``1``. Layout::

    REPO/facematrix-models.json             role -> Triton model, with inputs/outputs; sha256 of every file
    REPO/<model>/config.pbtxt
    REPO/<model>/1/model.onnx               a copy of the file the manifest names (same sha256)
    REPO/<model>/1/model.py                 cpu target only: triton_python_model.py

Triton reads only the folders of a repository, so ``facematrix-models.json`` at its root is ignored by the server.
Each config also carries the model's identity as ``parameters`` (``facematrix_role``, ``facematrix_model``,
``facematrix_model_version``, ``facematrix_sha256``), which a client reads back from
``GET /v2/models/<name>/config`` to check that the server runs the model its own manifest describes.

``write_repository`` writes nothing when the repository already holds exactly these files; otherwise it writes a
new one beside it and renames it into place (a reader sees the old or the new one, never a mix). Standard library
only, like ``build``'s fast path.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from .cache_folder import swap_in
from .manifest import CONVERTED_BY
from .sources import file_hash
from .triton import KSERVE_DTYPES, ROLE_SETTINGS, TARGETS, make_config
from .triton_models import RepositoryModel, repository_models, roles

__all__ = ["INDEX", "PYTHON_MODEL", "TRITON_VERSION", "plan_repository", "repository_models", "write_repository"]

INDEX = "facematrix-models.json"
INDEX_SCHEMA_VERSION = 1
TRITON_VERSION = "1"
PYTHON_MODEL = Path(__file__).resolve().parent / "triton_python_model.py"

_SERVERS = {
    "production": "NVIDIA Triton Inference Server 24.10 (core 2.51), ONNX Runtime backend, one instance per model "
                  "on the GPU",
    "cpu": "NVIDIA Triton Inference Server 2.51 (nvidia-pytriton 0.7.0), Python backend running model.onnx with "
           "the onnxruntime package, on the CPU (scripts/triton.sh)",
}


def _config(model: RepositoryModel, target: str, instances: int) -> str:
    settings = ROLE_SETTINGS[model.role]
    identity = {"facematrix_role": model.role, "facematrix_model": model.model_name,
                "facematrix_model_version": model.model_version, "facematrix_sha256": model.sha256}
    return make_config(model.name, model.io, settings["max_batch_size"], settings["max_queue_delay_us"],
                       target=target, instances=instances, parameters=identity)


def _tensors(specs: list[dict]) -> list[dict]:
    return [{"name": s["name"], "datatype": KSERVE_DTYPES[s["dtype"]], "shape": s["shape"]} for s in specs]


def _index_entry(model: RepositoryModel, target: str, instances: int) -> dict:
    settings = ROLE_SETTINGS[model.role]
    delay = settings["max_queue_delay_us"]
    kind = "KIND_GPU" if target == "production" else "KIND_CPU"
    return {
        "role": model.role,
        "triton_name": model.name,
        "triton_version": TRITON_VERSION,
        "manifest": model.manifest,
        "model_name": model.model_name,
        "model_version": model.model_version,
        "sha256": model.sha256,
        "max_batch_size": settings["max_batch_size"],
        "dynamic_batching": None if delay is None else {"max_queue_delay_microseconds": delay},
        "instance_group": {"kind": kind, "count": instances},
        "inputs": _tensors(model.io["inputs"]),
        "outputs": _tensors(model.io["outputs"]),
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_repository(models_dir, target: str, instances: int = 1) -> tuple[dict[str, bytes], dict[str, tuple]]:
    """What the repository holds: (small files as bytes, model copies as (source path, sha256)), by relative path;
    ``facematrix-models.json`` among the small files."""
    if target not in TARGETS:
        raise ValueError(f"target {target!r}: one of {TARGETS}")
    if instances < 1:
        raise ValueError("instances must be at least 1")
    models = repository_models(models_dir)
    texts: dict[str, bytes] = {}
    copies: dict[str, tuple] = {}
    for model in models:
        texts[f"{model.name}/config.pbtxt"] = _config(model, target, instances).encode()
        copies[f"{model.name}/{TRITON_VERSION}/model.onnx"] = (model.onnx, model.sha256)
        if target == "cpu":
            texts[f"{model.name}/{TRITON_VERSION}/model.py"] = PYTHON_MODEL.read_bytes()
    files = {rel: _sha256(data) for rel, data in texts.items()}
    files.update({rel: sha for rel, (_, sha) in copies.items()})
    index = {"schema_version": INDEX_SCHEMA_VERSION, "generated_by": CONVERTED_BY, "target": target,
             "server": _SERVERS[target], "roles": roles(models),
             "models": {m.name: _index_entry(m, target, instances) for m in models},
             "files": dict(sorted(files.items()))}
    texts[INDEX] = (json.dumps(index, indent=2) + "\n").encode()
    return texts, copies


def _is_current(dest: Path, texts: dict[str, bytes], copies: dict[str, tuple]) -> bool:
    """Whether ``dest`` holds exactly the planned files (model copies compared by sha256)."""
    if not dest.is_dir():
        return False
    present = {p.relative_to(dest).as_posix() for p in dest.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}  # the Python backend may compile model.py
    if present != set(texts) | set(copies):
        return False
    if any((dest / rel).read_bytes() != data for rel, data in texts.items()):
        return False
    return all(file_hash(dest / rel) == sha for rel, (_, sha) in copies.items())


def _write(root: Path, texts: dict[str, bytes], copies: dict[str, tuple]) -> None:
    for rel, (source, sha) in copies.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)
        if file_hash(root / rel) != sha:
            raise RuntimeError(f"{source}: sha256 differs from its manifest (run `make models`)")
    for rel, data in texts.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def write_repository(models_dir, dest, target: str, instances: int = 1, log=print) -> bool:
    """Make ``dest`` the ``target`` repository of ``models_dir``'s models; returns whether anything was written.
    The caller serialises writers (``cache_folder.locked``)."""
    dest = Path(dest)
    texts, copies = plan_repository(models_dir, target, instances)
    if _is_current(dest, texts, copies):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".staging-triton-"))
    try:
        _write(staging / dest.name, texts, copies)
        swap_in(staging, dest.parent, [dest.name])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"wrote the {target} Triton repository {dest} ({len(copies)} models)")
    return True

