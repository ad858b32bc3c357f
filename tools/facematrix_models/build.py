"""``build``/``verify``/``facenet``: convert the models into the model cache.

Layout of the output directory::

    DIR/mtcnn/{pnet,rnet,onet}.onnx + manifest.json
    DIR/face-reidentification-retail-0095/model.onnx + manifest.json
    DIR/triton/<model>/config.pbtxt + DIR/triton/<model>/1/model.onnx
    DIR/.build-stamp.json            (hash of the inputs + tool source; output hashes)

Everything is first written to a staging folder inside DIR and then renamed
into place, one model folder at a time, so a reader sees either the old or the
new version of a folder, never a half-written one. The stamp is removed before
and rewritten after the swap, so an interrupted build is redone next time.

This module imports only the standard library at the top: the "nothing
changed" path must stay fast. Converters (numpy/onnx) are imported lazily.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from . import __version__
from .manifest import write_json
from .sources import cache_root, default_shared_models, facenet_pytorch_mtcnn_files, file_hash, omz_reid_files

REID = "face-reidentification-retail-0095"
MTCNN_NETS = ("pnet", "rnet", "onet")
STAMP = ".build-stamp.json"
MANAGED = ["mtcnn", REID] + [f"triton/{n}" for n in MTCNN_NETS] + [f"triton/{REID}"]

PACKAGE_DIR = Path(__file__).resolve().parent
TOOLS_DIR = PACKAGE_DIR.parent
CALIBRATION_FILE = TOOLS_DIR / "calibration" / f"{REID}.json"


def default_out() -> Path:
    return cache_root() / "models"


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


def _read_stamp(out: Path) -> dict | None:
    try:
        return json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return None


def verify(out) -> list[str]:
    """Cheap consistency check of DIR: every file named by a manifest or by the
    build stamp exists and has the recorded sha256. Returns the problems found."""
    out = Path(out)
    problems = []
    hashes: dict[Path, str] = {}

    def sha(path: Path) -> str:  # files named by both the stamp and a manifest are hashed once
        if path not in hashes:
            hashes[path] = file_hash(path)
        return hashes[path]

    stamp = _read_stamp(out)
    if stamp is None:
        problems.append(f"{out / STAMP} is missing or unreadable")
    else:
        for rel, digest in stamp.get("outputs", {}).items():
            path = out / rel
            if not path.is_file():
                problems.append(f"{rel}: missing")
            elif sha(path) != digest:
                problems.append(f"{rel}: sha256 differs from the build stamp")
    for manifest_path in sorted(out.glob("*/manifest.json")):
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError as e:
            problems.append(f"{manifest_path}: {e}")
            continue
        for entry in manifest.get("files", []):
            path = manifest_path.parent / entry["path"]
            rel = path.relative_to(out)
            if not path.is_file():
                problems.append(f"{rel}: missing (named by {manifest_path.parent.name}/manifest.json)")
            elif sha(path) != entry["sha256"]:
                problems.append(f"{rel}: sha256 differs from {manifest_path.parent.name}/manifest.json")
    return problems


def _swap_in(staging: Path, out: Path, entries: list[str]) -> None:
    trash = staging / ".old"
    for rel in entries:
        new, dst = staging / rel, out / rel
        if not new.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            old = trash / rel
            old.parent.mkdir(parents=True, exist_ok=True)
            os.replace(dst, old)
        os.replace(new, dst)


@contextlib.contextmanager
def _locked(out: Path):
    """Serialise builds/conversions into the same folder (e.g. two test runs at once)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".build.lock", "a") as lock:  # "a": never rewrites the file
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _all_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): file_hash(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _write_triton(triton_root: Path, name: str, onnx_path: Path, io: dict, settings: dict) -> None:
    from .triton import make_config

    model_dir = triton_root / name
    (model_dir / "1").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_path, model_dir / "1" / "model.onnx")
    (model_dir / "config.pbtxt").write_text(make_config(name, io, **settings))


def _smoke_test(path: Path, io: dict) -> None:
    """Run the model once on zeros and check the output shapes against io."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    spec = io["inputs"][0]
    shape = [2] + [d if d > 0 else 64 for d in spec["shape"][1:]]
    results = sess.run(None, {spec["name"]: np.zeros(shape, np.float32)})
    for out_spec, result in zip(io["outputs"], results):
        want = [2] + out_spec["shape"][1:]
        if len(result.shape) != len(want) or any(w > 0 and w != r for w, r in zip(want, result.shape)):
            raise RuntimeError(f"{path}: output {out_spec['name']} has shape {result.shape}, expected {want}")


def _load_calibration():
    if not CALIBRATION_FILE.exists():
        return None, None
    doc = json.loads(CALIBRATION_FILE.read_text())
    if "thresholds" not in doc:
        raise ValueError(f"{CALIBRATION_FILE}: no 'thresholds' object")
    note = f"thresholds copied verbatim from tools/calibration/{CALIBRATION_FILE.name}"
    if isinstance(doc.get("notes"), str):
        note += f" ({doc['notes']})"
    return doc["thresholds"], note


def _convert_all(staging: Path, inputs: dict[str, Path], log) -> None:
    from .manifest import mtcnn_manifest, reid_manifest
    from .mtcnn import build_network
    from .onnx_graph import io_spec, save_model
    from .openvino_ir import convert_ir
    from .torch_pickle import load_state_dict
    from .triton import TRITON_SETTINGS

    mt_dir = staging / "mtcnn"
    mt_dir.mkdir(parents=True)
    shas, ios = {}, {}
    for net in MTCNN_NETS:
        model = build_network(net, load_state_dict(inputs[f"mtcnn/{net}"]), producer_version=__version__)
        path = mt_dir / f"{net}.onnx"
        save_model(model, path)
        ios[net] = io_spec(model)
        _smoke_test(path, ios[net])
        shas[net] = file_hash(path)
        _write_triton(staging / "triton", net, path, ios[net], TRITON_SETTINGS[net])
        log(f"  mtcnn/{net}.onnx  sha256 {shas[net][:16]}...")
    write_json(mt_dir / "manifest.json", mtcnn_manifest(shas, ios))

    reid_dir = staging / REID
    reid_dir.mkdir(parents=True)
    model = convert_ir(inputs[f"{REID}/xml"], inputs[f"{REID}/bin"], producer_version=__version__)
    path = reid_dir / "model.onnx"
    save_model(model, path)
    io = io_spec(model)
    _smoke_test(path, io)
    sha = file_hash(path)
    thresholds, note = _load_calibration()
    write_json(reid_dir / "manifest.json", reid_manifest(sha, io, thresholds, note))
    _write_triton(staging / "triton", REID, path, io, TRITON_SETTINGS[REID])
    log(f"  {REID}/model.onnx  sha256 {sha[:16]}...")


def build(out=None, shared=None, force: bool = False, log=print) -> dict:
    """Build (or confirm up to date) the model cache in ``out``. Returns a summary."""
    t0 = time.monotonic()
    out = Path(out) if out else default_out()
    shared = Path(shared) if shared else default_shared_models()
    inputs = _inputs(shared)
    digest = _inputs_digest(inputs)
    with _locked(out):
        stamp = _read_stamp(out)
        if not force and stamp and stamp.get("inputs_digest") == digest:
            problems = verify(out)
            if not problems:
                log(f"models in {out} are up to date ({time.monotonic() - t0:.2f} s)")
                return {"rebuilt": False, "out": str(out), "seconds": time.monotonic() - t0}
            log("outputs do not match the stamp, rebuilding: " + "; ".join(problems[:3]))

        staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging-"))
        try:
            log(f"building models into {out}")
            _convert_all(staging, inputs, log)
            outputs = _all_files(staging)
            (out / STAMP).unlink(missing_ok=True)
            _swap_in(staging, out, MANAGED)
            for rel, sha in outputs.items():  # re-hash what is now in place
                if file_hash(out / rel) != sha:
                    raise RuntimeError(f"{rel}: sha256 changed while moving it into place")
            write_json(out / STAMP, {
                "inputs_digest": digest,
                "converted_by": f"facematrix_models {__version__}",
                "inputs": {label: str(path) for label, path in sorted(inputs.items())},
                "outputs": outputs,
            })
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        problems = verify(out)
    if problems:
        raise RuntimeError("verification after build failed: " + "; ".join(problems))
    seconds = time.monotonic() - t0
    log(f"built and verified {len(outputs)} files in {seconds:.1f} s")
    return {"rebuilt": True, "out": str(out), "seconds": seconds}


def convert_facenet(state_dict_path, out=None, name: str = "facenet-vggface2", triton: bool = False,
                    version: str | None = None, license_: str = "MIT", source: str | None = None,
                    log=print) -> Path:
    """Convert a facenet-pytorch InceptionResnetV1 state_dict into ``out/<name>/``
    (and ``out/triton/<name>/`` with ``triton=True``). Returns the model folder."""
    from .facenet import build_inception_resnet_v1
    from .manifest import facenet_manifest
    from .onnx_graph import io_spec, save_model
    from .torch_pickle import load_state_dict
    from .triton import DEFAULT_EMBEDDER_SETTINGS

    state_dict_path = Path(state_dict_path)
    out = Path(out) if out else default_out()
    sd_sha = file_hash(state_dict_path)
    version = version or f"state-dict-{sd_sha[:12]}"
    source = source or f"facenet-pytorch InceptionResnetV1 state_dict {state_dict_path.name} (sha256 {sd_sha})"
    model = build_inception_resnet_v1(load_state_dict(state_dict_path), producer_version=__version__)
    with _locked(out):
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging-"))
        try:
            path = staging / name / "model.onnx"
            path.parent.mkdir(parents=True)
            save_model(model, path)
            io = io_spec(model)
            _smoke_test(path, io)
            sha = file_hash(path)
            write_json(path.parent / "manifest.json", facenet_manifest(name, version, license_, source, sha, io))
            entries = [name]
            if triton:
                _write_triton(staging / "triton", name, path, io, DEFAULT_EMBEDDER_SETTINGS)
                entries.append(f"triton/{name}")
            _swap_in(staging, out, entries)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log(f"wrote {out / name}/model.onnx (sha256 {sha}){' and ' + str(out / 'triton' / name) if triton else ''}")
    return out / name
