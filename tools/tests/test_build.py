"""The build output: manifests, Triton repository, stamp/idempotency, verify, calibration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import onnx
import pytest

from facematrix_models import build as build_mod
from facematrix_models.build import MANAGED, REID, STAMP, build, verify
from facematrix_models.manifest import omz_reid_template_pixels
from facematrix_models.onnx_graph import IR_VERSION, OPSET, io_spec
from facematrix_models.sources import file_hash
from facematrix_models.triton import check_config_against_io, parse_pbtxt

TOOLS = Path(__file__).resolve().parents[1]
MANIFEST_KEYS = ["schema_version", "name", "version", "task", "license", "source", "converted_by", "files",
                 "inputs", "outputs", "preprocessing", "crop", "embedding", "thresholds", "notes"]
MTCNN_KEYS = ["schema_version", "name", "version", "task", "license", "source", "converted_by", "files",
              "networks", "preprocessing", "detection", "notes"]


def _manifest(models_dir, folder):
    return json.loads((models_dir / folder / "manifest.json").read_text())


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and p.name != "parity-report.json"}


def test_embedder_manifest(models_dir):
    m = _manifest(models_dir, REID)
    assert list(m) == MANIFEST_KEYS
    assert m["schema_version"] == 1 and m["task"] == "embedding" and m["license"] == "Apache-2.0"
    assert m["version"] == "omz-2023.0-fp16"
    assert m["converted_by"].startswith("facematrix_models ")
    assert m["inputs"] == [{"name": "input", "shape": [-1, 3, 128, 128], "dtype": "float32"}]
    assert m["outputs"] == [{"name": "embedding", "shape": [-1, 256], "dtype": "float32"}]
    assert m["preprocessing"] == {"layout": "NCHW", "channel_order": "BGR", "mean": [0.0, 0.0, 0.0],
                                  "scale": [1.0, 1.0, 1.0], "transpose_hw": False}
    assert m["crop"]["method"] == "similarity_5pt" and m["crop"]["size"] == [128, 128]
    template = m["crop"]["template"]
    assert template == omz_reid_template_pixels()
    assert abs(template[0][0] - 40.39) < 0.01 and abs(template[4][1] - 105.56) < 0.01
    assert template[0][0] < template[1][0] and template[3][0] < template[4][0]  # image-left first
    assert m["embedding"] == {"size": 256, "metric": "cosine", "normalize": "l2"}
    calibration = TOOLS / "calibration" / f"{REID}.json"
    expected = json.loads(calibration.read_text())["thresholds"] if calibration.exists() else None
    assert m["thresholds"] == expected


def test_mtcnn_manifest(models_dir):
    m = _manifest(models_dir, "mtcnn")
    assert list(m) == MTCNN_KEYS
    assert m["task"] == "detection" and m["version"] == "facenet-pytorch-2.6.0"
    assert [f["role"] for f in m["files"]] == ["pnet", "rnet", "onet"]
    assert m["preprocessing"] == {"layout": "NCHW", "channel_order": "RGB", "mean": [127.5] * 3,
                                  "scale": [0.0078125] * 3, "transpose_hw": False}
    d = m["detection"]
    assert d["pnet_stride"] == 2 and d["pnet_cell_size"] == 12
    assert d["landmark_layout"] == "x1..x5,y1..y5 relative to box"
    nets = m["networks"]
    assert nets["pnet"]["inputs"] == [{"name": "input", "shape": [-1, 3, -1, -1], "dtype": "float32"}]
    assert [o["name"] for o in nets["pnet"]["outputs"]] == ["reg", "prob"]
    assert nets["rnet"]["inputs"][0]["shape"] == [-1, 3, 24, 24]
    assert [(o["name"], o["shape"]) for o in nets["onet"]["outputs"]] == [
        ("reg", [-1, 4]), ("landmarks", [-1, 10]), ("prob", [-1, 2])]
    for net in ("pnet", "rnet", "onet"):
        assert io_spec(onnx.load(str(models_dir / "mtcnn" / f"{net}.onnx"))) == nets[net]


def test_manifest_hashes_match_files_and_onnx_metadata(models_dir):
    for folder in ("mtcnn", REID):
        m = _manifest(models_dir, folder)
        for entry in m["files"]:
            path = models_dir / folder / entry["path"]
            assert file_hash(path) == entry["sha256"]
            model = onnx.load(str(path))
            onnx.checker.check_model(model, full_check=True)
            assert model.ir_version == IR_VERSION
            assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
        if folder == REID:
            assert io_spec(onnx.load(str(models_dir / folder / "model.onnx"))) == {
                "inputs": m["inputs"], "outputs": m["outputs"]}


def test_triton_repository_matches_onnx_graphs(models_dir):
    triton = models_dir / "triton"
    assert sorted(p.name for p in triton.iterdir() if p.is_dir()) >= sorted(["pnet", "rnet", "onet", REID])
    sources = {"pnet": "mtcnn/pnet.onnx", "rnet": "mtcnn/rnet.onnx", "onet": "mtcnn/onet.onnx",
               REID: f"{REID}/model.onnx"}
    for name, src in sources.items():
        config = parse_pbtxt((triton / name / "config.pbtxt").read_text())
        model_path = triton / name / "1" / "model.onnx"
        assert model_path.read_bytes() == (models_dir / src).read_bytes()
        assert config["name"] == [name]
        assert config["platform"] == ["onnxruntime_onnx"]
        assert config["max_batch_size"][0] > 0
        assert check_config_against_io(config, io_spec(onnx.load(str(model_path)))) == []
    embedder = parse_pbtxt((triton / REID / "config.pbtxt").read_text())
    assert embedder["max_batch_size"] == [64]
    assert embedder["dynamic_batching"][0]["max_queue_delay_microseconds"][0] > 0
    assert parse_pbtxt((triton / "pnet" / "config.pbtxt").read_text())["input"][0]["dims"] == [3, -1, -1]


def test_config_check_reports_mismatches(models_dir):
    config = parse_pbtxt((models_dir / "triton" / "onet" / "config.pbtxt").read_text())
    io = io_spec(onnx.load(str(models_dir / "mtcnn" / "onet.onnx")))
    config["output"][1]["dims"] = [5]
    config["input"][0]["name"] = ["data"]
    problems = check_config_against_io(config, io)
    assert any("landmarks" in p for p in problems) and any("input names" in p for p in problems)


def test_second_build_is_fast_and_rewrites_nothing(models_dir, shared_models):
    before = _snapshot(models_dir)
    t0 = time.monotonic()
    result = build(models_dir, shared_models, log=lambda *_: None)
    elapsed = time.monotonic() - t0
    assert result["rebuilt"] is False
    assert elapsed < 2.0
    assert _snapshot(models_dir) == before
    # the command line too (a fresh interpreter: imports + hashing)
    t0 = time.monotonic()
    cli = subprocess.run([sys.executable, "-m", "facematrix_models", "build", "--out", str(models_dir),
                          "--shared", str(shared_models)], cwd=TOOLS, capture_output=True, text=True)
    cli_elapsed = time.monotonic() - t0
    assert cli.returncode == 0 and "up to date" in cli.stdout, cli.stderr
    assert cli_elapsed < 5.0
    assert _snapshot(models_dir) == before
    print(f"\nsecond build: {elapsed:.2f} s in-process, {cli_elapsed:.2f} s via the CLI")


def test_verify_passes_and_detects_corruption(models_dir, tmp_path):
    assert verify(models_dir) == []
    rc = subprocess.run([sys.executable, "-m", "facematrix_models", "verify", "--out", str(models_dir)],
                        cwd=TOOLS, capture_output=True, text=True).returncode
    assert rc == 0
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy)
    target = copy / "triton" / "rnet" / "1" / "model.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    (copy / REID / "model.onnx").unlink()
    problems = verify(copy)
    assert any("triton/rnet/1/model.onnx" in p for p in problems)
    assert any(f"{REID}/model.onnx: missing" in p for p in problems)
    cli = subprocess.run([sys.executable, "-m", "facematrix_models", "verify", "--out", str(copy)],
                         cwd=TOOLS, capture_output=True, text=True)
    assert cli.returncode == 1 and "FAIL" in cli.stderr


def test_rebuild_on_calibration_change_and_on_damage(shared_models, tmp_path, monkeypatch):
    out = tmp_path / "models"
    calibration = tmp_path / f"{REID}.json"
    monkeypatch.setattr(build_mod, "CALIBRATION_FILE", calibration)
    quiet = {"log": lambda *_: None}

    assert build(out, shared_models, **quiet)["rebuilt"] is True  # no calibration file
    assert _manifest(out, REID)["thresholds"] is None
    assert not list(out.glob(".staging-*"))

    thresholds = {"cosine": {"far_1e-3": 0.31, "far_1e-4": 0.42}, "calibrated_on": "some set", "n_pairs": 600}
    calibration.write_text(json.dumps({"thresholds": thresholds, "notes": "test"}))
    assert build(out, shared_models, **quiet)["rebuilt"] is True
    assert _manifest(out, REID)["thresholds"] == thresholds  # verbatim
    assert build(out, shared_models, **quiet)["rebuilt"] is False

    (out / "mtcnn" / "pnet.onnx").write_bytes(b"damaged")
    assert build(out, shared_models, **quiet)["rebuilt"] is True
    assert verify(out) == []


def test_failed_build_leaves_previous_outputs_untouched(models_dir, shared_models, tmp_path, monkeypatch):
    out = tmp_path / "models"
    shutil.copytree(models_dir, out)
    before = _snapshot(out)

    def boom(staging, inputs, log):
        (staging / "mtcnn").mkdir()
        (staging / "mtcnn" / "pnet.onnx").write_bytes(b"partial")
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(build_mod, "_convert_all", boom)
    with pytest.raises(RuntimeError, match="conversion failed"):
        build(out, shared_models, force=True, log=lambda *_: None)
    assert _snapshot(out) == before
    assert not list(out.glob(".staging-*"))
    assert verify(out) == []


def test_managed_entries_cover_all_build_outputs(models_dir):
    stamp = json.loads((models_dir / STAMP).read_text())
    for rel in stamp["outputs"]:
        assert any(rel.startswith(entry + "/") for entry in MANAGED), rel
    assert os.path.exists(models_dir / "mtcnn" / "manifest.json")


def test_unreachable_source_is_one_line(monkeypatch, capsys):
    """No shared folder and no network: a one-line refusal naming the folder, exit status 1, no traceback."""
    from urllib.error import URLError

    from facematrix_models import build as build_module, cli

    def unreachable(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(build_module, "build", unreachable)
    assert cli.main(["build", "--out", "/tmp/nowhere", "--shared", "/tmp/no-shared"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/tmp/no-shared" in err and "Name or service not known" in err
