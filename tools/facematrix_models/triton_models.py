"""The model list of a Triton repository, read from a model folder's manifests: P-, R- and O-Net from
``mtcnn/manifest.json``, and every embedder (``*/manifest.json`` with task "embedding"). Triton model names:

============  ==========================================================================================
role          Triton model name
============  ==========================================================================================
``pnet``      ``pnet``
``rnet``      ``rnet``
``onet``      ``onet``
``embedder``  the embedder manifest's ``name`` (default ``face-reidentification-retail-0095``), which is
              also its folder, i.e. ``FACEMATRIX_EMBEDDER``: the converters name the folder after the model
============  ==========================================================================================

Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MTCNN_ROLES = ("pnet", "rnet", "onet")
DEFAULT_EMBEDDER = "face-reidentification-retail-0095"


@dataclass(frozen=True)
class RepositoryModel:
    """One network as the repository serves it."""
    name: str            # Triton model name
    role: str            # pipeline role: pnet, rnet, onet or embedder
    onnx: Path           # the converted model the manifest names
    sha256: str          # its sha256, from the manifest
    io: dict             # {"inputs": [...], "outputs": [...]}, manifest entries (batch axis -1 included)
    manifest: str        # the manifest, relative to the model folder
    model_name: str      # the manifest's name and version
    model_version: str


def _read_manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def _mtcnn_models(models_dir: Path) -> list[RepositoryModel]:
    path = models_dir / "mtcnn" / "manifest.json"
    if not path.is_file():
        return []
    manifest = _read_manifest(path)
    files = {entry["role"]: entry for entry in manifest["files"]}
    return [RepositoryModel(role, role, path.parent / files[role]["path"], files[role]["sha256"],
                            manifest["networks"][role], "mtcnn/manifest.json", manifest["name"],
                            manifest["version"])
            for role in MTCNN_ROLES]


def _embedder_models(models_dir: Path) -> list[RepositoryModel]:
    models = []
    for path in sorted(models_dir.glob("*/manifest.json")):
        manifest = _read_manifest(path)
        if manifest.get("task") != "embedding":
            continue
        entry = next(e for e in manifest["files"] if e["role"] == "model")
        io = {"inputs": manifest["inputs"], "outputs": manifest["outputs"]}
        models.append(RepositoryModel(manifest["name"], "embedder", path.parent / entry["path"], entry["sha256"],
                                      io, f"{path.parent.name}/manifest.json", manifest["name"],
                                      manifest["version"]))
    return models


def repository_models(models_dir) -> list[RepositoryModel]:
    """The model list: MTCNN's three networks (when ``mtcnn/`` is there) and every embedder of ``models_dir``."""
    models_dir = Path(models_dir)
    models = _mtcnn_models(models_dir) + _embedder_models(models_dir)
    names = [m.name for m in models]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"{models_dir}: two models would have the same Triton name: {clashes}")
    if not models:
        raise ValueError(f"{models_dir}: no model manifests (run `make models`)")
    return models


def roles(models: list[RepositoryModel]) -> dict[str, str]:
    """Role -> Triton model name; "embedder" is the default embedder (the only one, or DEFAULT_EMBEDDER)."""
    mapping = {m.role: m.name for m in models if m.role in MTCNN_ROLES}
    embedders = [m.name for m in models if m.role == "embedder"]
    if embedders:
        mapping["embedder"] = DEFAULT_EMBEDDER if DEFAULT_EMBEDDER in embedders else embedders[0]
    return mapping
