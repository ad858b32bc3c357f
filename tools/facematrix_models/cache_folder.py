"""The model cache folder's mechanics, shared by ``build`` and ``convert_facenet``:
the lock, the staging folder whose model folders are renamed into place one at a
time, the build stamp, and ``verify``.

Standard library only (``build``'s "nothing changed" path imports this module).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

from .sources import cache_root, file_hash

STAMP = ".build-stamp.json"
# The index at the root of a Triton repository (triton_repository.INDEX), with the sha256 of every file in it.
REPOSITORY_INDEX = "facematrix-models.json"


def default_out() -> Path:
    return cache_root() / "models"


def read_stamp(out: Path) -> dict | None:
    """The build stamp of ``out``, or None when it is missing or unreadable."""
    try:
        return json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return None


def verify(out) -> list[str]:
    """Cheap consistency check of DIR: every file named by a manifest, by the build
    stamp or by the production Triton repository's index
    (DIR/triton/facematrix-models.json) exists and has the recorded sha256. Returns the problems found."""
    out = Path(out)
    problems = []
    hashes: dict[Path, str] = {}

    def sha(path: Path) -> str:  # files named by both the stamp and a manifest are hashed once
        if path not in hashes:
            hashes[path] = file_hash(path)
        return hashes[path]

    stamp = read_stamp(out)
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
        problems += _manifest_problems(out, manifest_path, sha)
    if (out / "triton" / REPOSITORY_INDEX).is_file():
        problems += _repository_problems(out, out / "triton" / REPOSITORY_INDEX, sha)
    return problems


def _manifest_problems(out: Path, manifest_path: Path, sha) -> list[str]:
    """The files named by one manifest that are missing or differ from their recorded sha256."""
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as e:
        return [f"{manifest_path}: {e}"]
    problems = []
    for entry in manifest.get("files", []):
        path = manifest_path.parent / entry["path"]
        rel = path.relative_to(out)
        if not path.is_file():
            problems.append(f"{rel}: missing (named by {manifest_path.parent.name}/manifest.json)")
        elif sha(path) != entry["sha256"]:
            problems.append(f"{rel}: sha256 differs from {manifest_path.parent.name}/manifest.json")
    return problems


def _repository_problems(out: Path, index_path: Path, sha) -> list[str]:
    """The files named by a Triton repository's index that are missing or differ from their recorded sha256."""
    index_name = index_path.relative_to(out).as_posix()
    try:
        files = json.loads(index_path.read_text())["files"]
    except (ValueError, KeyError) as e:
        return [f"{index_name}: {e}"]
    problems = []
    for rel, digest in files.items():
        path = index_path.parent / rel
        shown = path.relative_to(out).as_posix()
        if not path.is_file():
            problems.append(f"{shown}: missing (named by {index_name})")
        elif sha(path) != digest:
            problems.append(f"{shown}: sha256 differs from {index_name}")
    return problems


@contextlib.contextmanager
def locked(out: Path):
    """Serialise builds/conversions into the same folder (e.g. two test runs at once)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".build.lock", "a") as lock:  # "a": never rewrites the file
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def staging_folder(out: Path):
    """A fresh ``.staging-*`` folder inside ``out``, removed (with whatever is left in it) on exit."""
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging-"))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, out: Path, entries: list[str]) -> None:
    """Rename each staged entry into ``out``, moving the previous version aside into the staging folder."""
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


def all_files(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {p.relative_to(root).as_posix(): file_hash(p) for p in sorted(root.rglob("*")) if p.is_file()}
