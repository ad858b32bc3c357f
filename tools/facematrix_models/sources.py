"""Where the model weights come from, with their checksums, and how to fetch them.

Only the standard library is imported here so that ``build`` can decide that
nothing changed without loading numpy/onnx.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path

# Intel Open Model Zoo release 2023.0, face-reidentification-retail-0095, FP16 IR.
# Checksums and URLs as in the model's upstream model.yml (open_model_zoo,
# models/intel/face-reidentification-retail-0095/model.yml).
OMZ_REID_NAME = "face-reidentification-retail-0095"
OMZ_REID_PRECISION = "FP16"
OMZ_REID_FILES = {
    "xml": {
        "name": "FP16/face-reidentification-retail-0095.xml",
        "size": 350427,
        "sha384": "689fb39e94bbd0d22cfeeb9292d0b91ac753424a7ee2c0555070e4038a00bfcaad473b47303012b9a393027dbad0dbce",
        "url": "https://storage.openvinotoolkit.org/repositories/open_model_zoo/2023.0/models_bin/1/"
               "face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.xml",
    },
    "bin": {
        "name": "FP16/face-reidentification-retail-0095.bin",
        "size": 2213628,
        "sha384": "6d51703e854509dafdab9dfc6b932136d301d95be6d52c9c23b5a4f5de1ffec80e8d38b87e0e9556ad36f0dded1588ed",
        "url": "https://storage.openvinotoolkit.org/repositories/open_model_zoo/2023.0/models_bin/1/"
               "face-reidentification-retail-0095/FP16/face-reidentification-retail-0095.bin",
    },
}

# MTCNN weights inside the facenet-pytorch 2.6.0 wheel (facenet_pytorch/data/*.pt).
FACENET_PYTORCH_VERSION = "2.6.0"
FACENET_PYTORCH_MTCNN_SHA256 = {
    "pnet": "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f",
    "rnet": "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86",
    "onet": "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d",
}


class ChecksumError(ValueError):
    pass


class SourceError(RuntimeError):
    pass


def file_hash(path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_checksum(path, expected: str, algorithm: str = "sha384", size: int | None = None) -> None:
    """Raise ChecksumError unless ``path`` has the expected size and digest."""
    path = Path(path)
    if size is not None and path.stat().st_size != size:
        raise ChecksumError(f"{path}: {path.stat().st_size} bytes, expected {size}")
    actual = file_hash(path, algorithm)
    if actual.lower() != expected.lower():
        raise ChecksumError(f"{path}: {algorithm} {actual} != expected {expected}")


def cache_root() -> Path:
    env = os.environ.get("FACEMATRIX_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "facematrix"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_shared_models() -> Path:
    return repo_root().parent / "shared" / "models"


def parse_model_yml_checksums(text: str) -> dict[str, dict[str, str]]:
    """Map file name -> {"checksum", "source", "size"} from an OMZ model.yml.

    Only the ``files:`` list is read, with a line-based parser (no YAML
    dependency); the structure of these files is fixed.
    """
    files: dict[str, dict[str, str]] = {}
    current = None
    in_files = False
    for line in text.splitlines():
        if re.match(r"^[A-Za-z_]", line):  # a top-level key starts a new section
            in_files = line.startswith("files:")
            current = None
            continue
        if not in_files:
            continue
        m = re.match(r"^\s*-\s+name:\s*(\S+)\s*$", line)
        if m:
            current = files.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\s+(checksum|source|size):\s*(\S+)\s*$", line)
        if m and current is not None:
            current[m.group(1)] = m.group(2)
    return files


def download(url: str, dest, sha384: str, size: int | None = None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``dest`` (atomically) and verify its sha384.

    An existing ``dest`` with the right checksum is reused. A download with a
    wrong checksum is deleted and raises ChecksumError.
    """
    dest = Path(dest)
    if dest.exists():
        try:
            verify_checksum(dest, sha384, "sha384", size)
            return dest
        except ChecksumError:
            dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        verify_checksum(tmp, sha384, "sha384", size)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


def _shared_omz_reid_files(folder: Path) -> dict[str, Path]:
    """The IR files in the shared ``folder``, checked against its model.yml.upstream.txt (when present) and
    against the pinned values."""
    upstream = {}
    yml = folder / "model.yml.upstream.txt"
    if yml.exists():
        upstream = parse_model_yml_checksums(yml.read_text())
    paths = {}
    for role, spec in OMZ_REID_FILES.items():
        path = folder / spec["name"]
        if not path.exists():
            raise SourceError(f"{path} is missing")
        if spec["name"] in upstream and upstream[spec["name"]].get("checksum") != spec["sha384"]:
            raise ChecksumError(f"{yml}: checksum of {spec['name']} differs from the pinned value")
        verify_checksum(path, spec["sha384"], "sha384", spec["size"])
        paths[role] = path
    return paths


def omz_reid_files(shared_models: Path | None, downloads: Path | None = None) -> dict[str, Path]:
    """Return {"xml": path, "bin": path} of the verified FP16 IR.

    Uses ``<shared_models>/face-reidentification-retail-0095/FP16/`` when that
    folder exists (checking the sha384 against its model.yml.upstream.txt when
    present, and always against the values above); otherwise downloads the
    files from Intel's storage into ``<cache>/downloads``.
    """
    folder = Path(shared_models) / f"intel-{OMZ_REID_NAME}" if shared_models else None
    if folder is not None and (folder / OMZ_REID_PRECISION).is_dir():
        return _shared_omz_reid_files(folder)
    downloads = Path(downloads) if downloads else cache_root() / "downloads"
    target = downloads / f"omz-2023.0-{OMZ_REID_NAME}"
    return {role: download(spec["url"], target / spec["name"], spec["sha384"], spec["size"])
            for role, spec in OMZ_REID_FILES.items()}


def facenet_pytorch_mtcnn_files() -> dict[str, Path]:
    """Paths of pnet/rnet/onet.pt in the installed facenet-pytorch wheel (not imported: no torch)."""
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise SourceError("facenet-pytorch is not installed (pip install --no-deps -r tools/requirements-nodeps.txt)")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    paths = {}
    for net, sha in FACENET_PYTORCH_MTCNN_SHA256.items():
        path = data / f"{net}.pt"
        if not path.exists():
            raise SourceError(f"{path} is missing")
        actual = file_hash(path, "sha256")
        if actual != sha:
            raise ChecksumError(f"{path}: sha256 {actual} is not facenet-pytorch {FACENET_PYTORCH_VERSION}'s")
        paths[net] = path
    return paths
