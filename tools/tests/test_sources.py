"""Checksums of the weight sources and the download fallback (exercised offline with file:// URLs)."""

from __future__ import annotations

import os

import pytest

from facematrix_models import sources
from facematrix_models.sources import (ChecksumError, OMZ_REID_FILES, download, facenet_pytorch_mtcnn_files,
                                       omz_reid_files, parse_model_yml_checksums, verify_checksum)


@pytest.fixture(scope="module")
def ir_folder(shared_models):
    folder = shared_models / "intel-face-reidentification-retail-0095"
    assert folder.is_dir()
    return folder


def test_pinned_checksums_and_urls_equal_upstream_model_yml(ir_folder):
    upstream = parse_model_yml_checksums((ir_folder / "model.yml.upstream.txt").read_text())
    assert len(upstream) == 6  # FP32, FP16, FP16-INT8 x (xml, bin)
    for spec in OMZ_REID_FILES.values():
        entry = upstream[spec["name"]]
        assert entry["checksum"] == spec["sha384"]
        assert entry["source"] == spec["url"]
        assert int(entry["size"]) == spec["size"]


def test_verify_checksum(ir_folder):
    spec = OMZ_REID_FILES["xml"]
    path = ir_folder / spec["name"]
    verify_checksum(path, spec["sha384"], "sha384", spec["size"])
    with pytest.raises(ChecksumError, match="sha384"):
        verify_checksum(path, OMZ_REID_FILES["bin"]["sha384"], "sha384")
    with pytest.raises(ChecksumError, match="bytes"):
        verify_checksum(path, spec["sha384"], "sha384", spec["size"] + 1)


def test_download_verifies_and_is_atomic(ir_folder, tmp_path):
    spec = OMZ_REID_FILES["xml"]
    url = (ir_folder / spec["name"]).as_uri()
    dest = tmp_path / "dl" / "model.xml"
    with pytest.raises(ChecksumError):
        download(url, dest, OMZ_REID_FILES["bin"]["sha384"])
    assert not dest.exists() and os.listdir(dest.parent) == []  # nothing half-written left
    assert download(url, dest, spec["sha384"], spec["size"]) == dest
    verify_checksum(dest, spec["sha384"], "sha384")
    # an already verified file is reused without fetching again
    assert download("file:///nonexistent/never-fetched", dest, spec["sha384"], spec["size"]) == dest


def test_without_shared_folder_the_ir_is_downloaded(ir_folder, tmp_path, monkeypatch):
    files = {role: dict(spec, url=(ir_folder / spec["name"]).as_uri()) for role, spec in OMZ_REID_FILES.items()}
    monkeypatch.setattr(sources, "OMZ_REID_FILES", files)
    paths = omz_reid_files(tmp_path / "no-shared-here", downloads=tmp_path / "downloads")
    assert set(paths) == {"xml", "bin"}
    for role, path in paths.items():
        assert path.is_relative_to(tmp_path / "downloads")
        verify_checksum(path, files[role]["sha384"], "sha384", files[role]["size"])


def test_shared_file_with_wrong_bytes_is_refused(ir_folder, tmp_path):
    fake = tmp_path / "shared" / "intel-face-reidentification-retail-0095"
    (fake / "FP16").mkdir(parents=True)
    for spec in OMZ_REID_FILES.values():
        (fake / spec["name"]).write_bytes((ir_folder / spec["name"]).read_bytes())
    data = bytearray((fake / OMZ_REID_FILES["bin"]["name"]).read_bytes())
    data[1000] ^= 0xFF
    (fake / OMZ_REID_FILES["bin"]["name"]).write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        omz_reid_files(tmp_path / "shared")


def test_facenet_pytorch_weights_are_the_pinned_ones():
    paths = facenet_pytorch_mtcnn_files()
    assert sorted(paths) == ["onet", "pnet", "rnet"]
    assert all(p.name == f"{n}.pt" for n, p in paths.items())
