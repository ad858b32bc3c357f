"""``facenet-demo``: a complete model folder whose embedder is a FaceNet (InceptionResnetV1) with random weights,
for tests of the service's FaceNet path (``box_margin`` crop, RGB input standardised as (pixel - 127.5) / 128,
512-D output, no calibrated thresholds) where the real VGGFace2 weights cannot be downloaded.

The random state_dict has facenet-pytorch's exact key names and shapes; it is written as ``torch.save`` would
(zip format) and converted by the real ``facenet`` path (``convert_facenet``). MTCNN is copied from the built model
folder. Layout::

    DEST/mtcnn/                      copy of MODELS/mtcnn (manifest + pnet/rnet/onet.onnx)
    DEST/<name>/model.onnx + manifest.json
    DEST/triton/                     with --triton: the production Triton repository of both

The manifest: name NAME, version ``random-seed-<seed>``, license CC0-1.0 (random numbers), thresholds null (so the
service needs FACEMATRIX_MATCH_THRESHOLD), crop ``box_margin`` with margin 0 in ``pixels_of_output``. The same seed
gives the same weights and byte-identical files; a second run with the same settings writes nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from . import __version__
from .cache_folder import STAMP, default_out, locked, staging_folder, swap_in, verify
from .triton_repository import write_repository

DEMO_NAME = "facenet-random"
DEMO_LICENSE = "CC0-1.0"  # random numbers: nobody's work


# The BasicConv2d units (prefix, in channels, out channels, kernel) of each part of InceptionResnetV1, in
# facenet-pytorch's state_dict order; each residual block ends with a 1x1 conv with bias (in, out).
_STEM = [("conv2d_1a", 3, 32, 3), ("conv2d_2a", 32, 32, 3), ("conv2d_2b", 32, 64, 3), ("conv2d_3b", 64, 80, 1),
         ("conv2d_4a", 80, 192, 3), ("conv2d_4b", 192, 256, 3)]
_BLOCK35 = ([("branch0", 256, 32, 1), ("branch1.0", 256, 32, 1), ("branch1.1", 32, 32, 3), ("branch2.0", 256, 32, 1),
             ("branch2.1", 32, 32, 3), ("branch2.2", 32, 32, 3)], (96, 256))
_MIXED_6A = [("mixed_6a.branch0", 256, 384, 3), ("mixed_6a.branch1.0", 256, 192, 1),
             ("mixed_6a.branch1.1", 192, 192, 3), ("mixed_6a.branch1.2", 192, 256, 3)]
_BLOCK17 = ([("branch0", 896, 128, 1), ("branch1.0", 896, 128, 1), ("branch1.1", 128, 128, (1, 7)),
             ("branch1.2", 128, 128, (7, 1))], (256, 896))
_MIXED_7A = [("mixed_7a.branch0.0", 896, 256, 1), ("mixed_7a.branch0.1", 256, 384, 3),
             ("mixed_7a.branch1.0", 896, 256, 1), ("mixed_7a.branch1.1", 256, 256, 3),
             ("mixed_7a.branch2.0", 896, 256, 1), ("mixed_7a.branch2.1", 256, 256, 3),
             ("mixed_7a.branch2.2", 256, 256, 3)]
_BLOCK8 = ([("branch0", 1792, 192, 1), ("branch1.0", 1792, 192, 1), ("branch1.1", 192, 192, (1, 3)),
            ("branch1.2", 192, 192, (3, 1))], (384, 1792))
_REPEATS = [(_BLOCK35, [f"repeat_1.{i}" for i in range(5)], _MIXED_6A),
            (_BLOCK17, [f"repeat_2.{i}" for i in range(10)], _MIXED_7A),
            (_BLOCK8, [f"repeat_3.{i}" for i in range(5)] + ["block8"], [])]


class _RandomWeights:
    """Draws the entries in state_dict order from one generator, so that a seed always gives the same weights."""

    def __init__(self, seed: int):
        import numpy as np

        self.np = np
        self.rng = np.random.default_rng(seed)
        self.sd: dict = {}

    def uniform(self, shape, fan_in):
        bound = 1.0 / self.np.sqrt(fan_in)
        return self.rng.uniform(-bound, bound, shape).astype(self.np.float32)

    def batchnorm(self, prefix: str, c: int) -> None:
        np, rng = self.np, self.rng
        self.sd[f"{prefix}.weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        self.sd[f"{prefix}.bias"] = rng.uniform(-0.2, 0.2, c).astype(np.float32)
        self.sd[f"{prefix}.running_mean"] = rng.uniform(-0.5, 0.5, c).astype(np.float32)
        self.sd[f"{prefix}.running_var"] = rng.uniform(0.5, 2.0, c).astype(np.float32)
        self.sd[f"{prefix}.num_batches_tracked"] = np.array(int(rng.integers(1, 10**6)), dtype=np.int64)

    def units(self, units, prefix: str = "") -> None:
        """BasicConv2d = conv (no bias) + batch norm, for each (name, in, out, kernel)."""
        for name, cin, cout, k in units:
            kh, kw = (k, k) if isinstance(k, int) else k
            self.sd[f"{prefix}{name}.conv.weight"] = self.uniform((cout, cin, kh, kw), cin * kh * kw)
            self.batchnorm(f"{prefix}{name}.bn", cout)

    def block(self, prefix: str, block) -> None:
        units, (cin, cout) = block
        self.units(units, f"{prefix}.")
        self.sd[f"{prefix}.conv2d.weight"] = self.uniform((cout, cin, 1, 1), cin)
        self.sd[f"{prefix}.conv2d.bias"] = self.uniform((cout,), cin)


def random_state_dict(seed: int = 0) -> dict:
    """facenet-pytorch 2.6.0 ``InceptionResnetV1(classify=False).state_dict()`` key names and shapes (714 entries,
    23,512,336 elements): weights like torch's default init, batch-norm statistics random (variances positive)."""
    weights = _RandomWeights(seed)
    weights.units(_STEM)
    for block, prefixes, reduction in _REPEATS:
        for prefix in prefixes:
            weights.block(prefix, block)
        weights.units(reduction)
    weights.sd["last_linear.weight"] = weights.uniform((512, 1792), 1792)
    weights.batchnorm("last_bn", 512)
    return weights.sd


def demo_version(seed: int) -> str:
    return f"random-seed-{seed}"


def demo_source(seed: int) -> str:
    return (f"random weights (numpy default_rng seed {seed}) with facenet-pytorch 2.6.0 InceptionResnetV1 key names "
            f"and shapes, made by facematrix_models {__version__} facenet-demo: for tests only, it recognises no one")


def _is_current(dest: Path, name: str, seed: int, models: Path) -> bool:
    """Whether DEST already holds this demo (same seed and tool version, same MTCNN, files intact)."""
    try:
        manifest = json.loads((dest / name / "manifest.json").read_text())
        same_mtcnn = (dest / "mtcnn" / "manifest.json").read_bytes() == (models / "mtcnn" / "manifest.json").read_bytes()
    except (OSError, ValueError):
        return False
    identity = {"version": demo_version(seed), "license": DEMO_LICENSE, "source": demo_source(seed)}
    if not (same_mtcnn and all(manifest.get(k) == v for k, v in identity.items())):
        return False
    return not [p for p in verify(dest) if STAMP not in p]  # DEST has no build stamp, by design


def _convert(dest: Path, name: str, seed: int, log) -> None:
    from .build import convert_facenet
    from .torch_pickle_writer import save_state_dict

    with tempfile.TemporaryDirectory(dir=dest, prefix=".facenet-demo-") as tmp:
        path = Path(tmp) / f"{name}.pt"
        save_state_dict(random_state_dict(seed), path, fmt="zip")
        convert_facenet(path, dest, name=name, version=demo_version(seed),
                        license_=DEMO_LICENSE, source=demo_source(seed), log=log)


def _copy_mtcnn(dest: Path, models: Path) -> None:
    with locked(dest), staging_folder(dest) as staging:
        shutil.copytree(models / "mtcnn", staging / "mtcnn")
        swap_in(staging, dest, ["mtcnn"])


def make_demo(dest, models=None, name: str = DEMO_NAME, seed: int = 0, triton: bool = False, log=print) -> Path:
    """Write (or confirm) the demo model folder DEST; MODELS (default: the model cache, built first when it has no
    MTCNN) provides MTCNN. Returns DEST."""
    dest = Path(dest).resolve()
    models = Path(models) if models else default_out()
    if not (models / "mtcnn" / "manifest.json").is_file():
        from .build import build
        build(models, log=log)
    dest.mkdir(parents=True, exist_ok=True)
    if _is_current(dest, name, seed, models):
        log(f"{dest}: the FaceNet demo ({name}, seed {seed}) is up to date")
    else:
        _copy_mtcnn(dest, models)
        _convert(dest, name, seed, log)
    if triton:
        with locked(dest):
            write_repository(dest, dest / "triton", "production", log=log)
    problems = [p for p in verify(dest) if STAMP not in p]
    if problems:
        raise RuntimeError(f"{dest}: " + "; ".join(problems))
    log(f"{dest}: FACEMATRIX_MODEL_DIR={dest} FACEMATRIX_EMBEDDER={name} (set FACEMATRIX_MATCH_THRESHOLD: "
        "the manifest has no calibrated thresholds)")
    return dest
