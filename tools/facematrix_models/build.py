"""``build``/``verify``/``facenet``: convert the models into the model cache.

Layout of the output directory::

    DIR/mtcnn/{pnet,rnet,onet}.onnx + manifest.json
    DIR/face-reidentification-retail-0095/model.onnx + manifest.json
    DIR/.build-stamp.json            (hash of the inputs + tool source; output hashes)
    DIR/triton/                      the production Triton repository of every model in DIR
                                     (triton_repository: facematrix-models.json, <model>/config.pbtxt,
                                     <model>/1/model.onnx), rewritten only when it differs

Everything is first written to a staging folder inside DIR and then renamed
into place, one model folder at a time, so a reader sees either the old or the
new version of a folder, never a half-written one. The stamp is removed before
and rewritten after the swap, so an interrupted build is redone next time.

The folder mechanics (lock, staging, swap, stamp, ``verify``) live in
``cache_folder``, the per-model conversion steps in ``conversions``. The Triton
repository is not part of the stamp: it is made from the manifests after the
swap (and by ``facenet --triton``), and ``verify`` checks it against its own index.

This module imports only the standard library at the top (and so do those two):
the "nothing changed" path must stay fast. Converters (numpy/onnx) are imported
lazily.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from pathlib import Path

from . import __version__
from .cache_folder import STAMP, all_files, default_out, locked, read_stamp, staging_folder, swap_in, verify
from .conversions import MTCNN_NETS, REID, convert_mtcnn, convert_reid, save_checked
from .manifest import write_json
from .sources import default_shared_models, facenet_pytorch_mtcnn_files, file_hash, omz_reid_files
from .triton_repository import write_repository

__all__ = ["MANAGED", "MTCNN_NETS", "REID", "STAMP", "build", "convert_facenet", "default_out", "verify"]

MANAGED = ["mtcnn", REID]
TRITON_DIR = "triton"  # the production Triton repository, inside the model folder

PACKAGE_DIR = Path(__file__).resolve().parent
TOOLS_DIR = PACKAGE_DIR.parent
CALIBRATION_FILE = TOOLS_DIR / "calibration" / f"{REID}.json"


def _tool_source_files() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.py"))


def _inputs(shared) -> dict[str, Path]:
    inputs = {f"mtcnn/{n}": p for n, p in facenet_pytorch_mtcnn_files().items()}
    inputs.update({f"{REID}/{k}": p for k, p in omz_reid_files(shared).items()})
    if CALIBRATION_FILE.exists():
        inputs["calibration"] = CALIBRATION_FILE
    return inputs


def _inputs_digest(inputs: dict[str, Path]) -> str:
    parts = {label: file_hash(path) for label, path in sorted(inputs.items())}
    parts.update({f"tool/{p.name}": file_hash(p) for p in _tool_source_files()})
    parts["tool/version"] = __version__
    parts["onnx"] = importlib.metadata.version("onnx")  # serialisation may change between versions
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _convert_all(staging: Path, inputs: dict[str, Path], log) -> None:
    """Convert every managed model into ``staging`` (the tests replace this step to make a build fail)."""
    convert_mtcnn(staging, inputs, log)
    convert_reid(staging, inputs, log, CALIBRATION_FILE)


def _up_to_date(out: Path, digest: str, log) -> bool:
    """Whether the stamp records these inputs and the outputs still match it."""
    stamp = read_stamp(out)
    if not (stamp and stamp.get("inputs_digest") == digest):
        return False
    problems = verify(out)
    if problems:
        log("outputs do not match the stamp, rebuilding: " + "; ".join(problems[:3]))
        return False
    return True


def _rebuild(out: Path, inputs: dict[str, Path], digest: str, log) -> dict[str, str]:
    """Convert everything into a staging folder, swap it into ``out`` and write the stamp; returns the outputs."""
    with staging_folder(out) as staging:
        log(f"building models into {out}")
        _convert_all(staging, inputs, log)
        outputs = all_files(staging)
        (out / STAMP).unlink(missing_ok=True)
        swap_in(staging, out, MANAGED)
        for rel, sha in outputs.items():  # re-hash what is now in place
            if file_hash(out / rel) != sha:
                raise RuntimeError(f"{rel}: sha256 changed while moving it into place")
        write_json(out / STAMP, {
            "inputs_digest": digest,
            "converted_by": f"facematrix_models {__version__}",
            "inputs": {label: str(path) for label, path in sorted(inputs.items())},
            "outputs": outputs,
        })
    return outputs


def build(out=None, shared=None, force: bool = False, log=print) -> dict:
    """Build (or confirm up to date) the model cache in ``out``. Returns a summary."""
    t0 = time.monotonic()
    out = Path(out) if out else default_out()
    shared = Path(shared) if shared else default_shared_models()
    inputs = _inputs(shared)
    digest = _inputs_digest(inputs)
    with locked(out):
        if not force and _up_to_date(out, digest, log):
            write_repository(out, out / TRITON_DIR, "production", log=log)
            log(f"models in {out} are up to date ({time.monotonic() - t0:.2f} s)")
            return {"rebuilt": False, "out": str(out), "seconds": time.monotonic() - t0}
        outputs = _rebuild(out, inputs, digest, log)
        write_repository(out, out / TRITON_DIR, "production", log=log)
        problems = verify(out)
    if problems:
        raise RuntimeError("verification after build failed: " + "; ".join(problems))
    seconds = time.monotonic() - t0
    log(f"built and verified {len(outputs)} files in {seconds:.1f} s")
    return {"rebuilt": True, "out": str(out), "seconds": seconds}


def convert_facenet(state_dict_path, out=None, name: str = "facenet-vggface2", triton: bool = False,
                    version: str | None = None, license_: str = "MIT", source: str | None = None,
                    log=print) -> Path:
    """Convert a facenet-pytorch InceptionResnetV1 state_dict into ``out/<name>/``; with ``triton=True``, then
    rewrite the production Triton repository ``out/triton/`` (which then serves it as ``<name>``, beside every
    other model of ``out``). Returns the model folder."""
    from .facenet import build_inception_resnet_v1
    from .manifest import facenet_manifest
    from .torch_pickle import load_state_dict

    state_dict_path = Path(state_dict_path)
    out = Path(out) if out else default_out()
    sd_sha = file_hash(state_dict_path)
    version = version or f"state-dict-{sd_sha[:12]}"
    source = source or f"facenet-pytorch InceptionResnetV1 state_dict {state_dict_path.name} (sha256 {sd_sha})"
    model = build_inception_resnet_v1(load_state_dict(state_dict_path), producer_version=__version__)
    with locked(out), staging_folder(out) as staging:
        path = staging / name / "model.onnx"
        path.parent.mkdir(parents=True)
        io, sha = save_checked(model, path)
        write_json(path.parent / "manifest.json", facenet_manifest(name, version, license_, source, sha, io))
        swap_in(staging, out, [name])
        if triton:
            write_repository(out, out / TRITON_DIR, "production", log=log)
    log(f"wrote {out / name}/model.onnx (sha256 {sha}){' and ' + str(out / 'triton' / name) if triton else ''}")
    return out / name
