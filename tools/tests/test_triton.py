"""The two Triton repositories made from one model list: the production one (``build`` writes it to DIR/triton)
and the CPU one (``triton-repo --target cpu``, served by scripts/triton.sh), checked against the ONNX graphs; the
index that maps pipeline roles to Triton models; idempotent, atomic writes; the CPU target's model.py, run here
with a stand-in for the Python backend's utilities."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from facematrix_models.build import REID, verify
from facematrix_models.onnx_graph import io_spec
from facematrix_models.sources import file_hash
from facematrix_models.triton import ROLE_SETTINGS, check_config_against_io, parse_pbtxt
from facematrix_models.triton_repository import INDEX, PYTHON_MODEL, plan_repository, write_repository

TOOLS = Path(__file__).resolve().parents[1]
ROLES = {"pnet": "pnet", "rnet": "rnet", "onet": "onet", "embedder": REID}
SOURCES = {"pnet": "mtcnn/pnet.onnx", "rnet": "mtcnn/rnet.onnx", "onet": "mtcnn/onet.onnx", REID: f"{REID}/model.onnx"}
KIND = {"production": "KIND_GPU", "cpu": "KIND_CPU"}


@pytest.fixture(scope="module")
def cpu_repository(models_dir, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("triton") / "repository"
    assert write_repository(models_dir, dest, "cpu", instances=2, log=lambda *_: None) is True
    return dest


def _repositories(models_dir, cpu_repository):
    return [("production", models_dir / "triton", 1), ("cpu", cpu_repository, 2)]


def _index(repository: Path) -> dict:
    return json.loads((repository / INDEX).read_text())


def _config(repository: Path, name: str) -> dict:
    return parse_pbtxt((repository / name / "config.pbtxt").read_text())


def _parameters(config: dict) -> dict[str, str]:
    return {entry["key"][0]: entry["value"][0]["string_value"][0] for entry in config.get("parameters", [])}


def _check_model(models_dir: Path, repository: Path, target: str, instances: int, name: str, entry: dict):
    """One model of one repository: config vs ONNX graph, batching, instances, identity, index entry."""
    config = _config(repository, name)
    model_path = repository / name / "1" / "model.onnx"
    assert model_path.read_bytes() == (models_dir / SOURCES[name]).read_bytes()
    io = io_spec(onnx.load(str(model_path)))
    assert check_config_against_io(config, io, target) == []
    assert config["name"] == [name]
    settings = ROLE_SETTINGS[entry["role"]]
    assert config["max_batch_size"] == [settings["max_batch_size"]] == [entry["max_batch_size"]]
    delay = config.get("dynamic_batching", [{}])[0].get("max_queue_delay_microseconds")
    assert delay == ([settings["max_queue_delay_us"]] if settings["max_queue_delay_us"] else None)
    assert config["instance_group"] == [{"kind": [KIND[target]], "count": [instances]}]
    assert entry["instance_group"] == {"kind": KIND[target], "count": instances}
    sha = file_hash(model_path)
    assert _parameters(config)["facematrix_sha256"] == sha == entry["sha256"]
    assert _parameters(config)["facematrix_role"] == entry["role"]
    assert [(t["name"], t["datatype"], t["shape"]) for t in entry["inputs"]] == [
        (s["name"], "FP32", s["shape"]) for s in io["inputs"]]
    assert [(t["name"], t["datatype"], t["shape"]) for t in entry["outputs"]] == [
        (s["name"], "FP32", s["shape"]) for s in io["outputs"]]
    assert all(s["shape"][0] == -1 for s in io["inputs"] + io["outputs"])  # the batch axis the configs omit
    if target == "cpu":
        assert (repository / name / "1" / "model.py").read_bytes() == PYTHON_MODEL.read_bytes()
        assert _parameters(config)["intra_op_threads"] == "1"
    else:
        assert not (repository / name / "1" / "model.py").exists()


def test_both_repositories_match_the_onnx_graphs(models_dir, cpu_repository):
    for target, repository, instances in _repositories(models_dir, cpu_repository):
        index = _index(repository)
        assert index["schema_version"] == 1 and index["target"] == target
        assert index["roles"] == ROLES
        assert sorted(index["models"]) == sorted(SOURCES)
        assert sorted(p.name for p in repository.iterdir() if p.is_dir()) == sorted(SOURCES)
        for name, entry in index["models"].items():
            assert entry["triton_name"] == name and entry["triton_version"] == "1"
            _check_model(models_dir, repository, target, instances, name, entry)
        for rel, sha in index["files"].items():
            assert file_hash(repository / rel) == sha, rel


def test_pnet_has_no_dynamic_batching_and_dynamic_dims(models_dir, cpu_repository):
    for _, repository, _ in _repositories(models_dir, cpu_repository):
        pnet = _config(repository, "pnet")
        assert "dynamic_batching" not in pnet
        assert pnet["input"][0]["dims"] == [3, -1, -1]
        assert [o["dims"] for o in pnet["output"]] == [[4, -1, -1], [2, -1, -1]]
        for name in ("rnet", "onet", REID):
            assert _config(repository, name)["dynamic_batching"][0]["max_queue_delay_microseconds"][0] > 0


def test_the_targets_differ_only_in_how_they_run(models_dir, cpu_repository):
    def essentials(config: dict) -> dict:
        params = {k: v for k, v in _parameters(config).items() if k != "intra_op_threads"}
        return dict({k: v for k, v in config.items() if k not in ("platform", "backend", "instance_group",
                                                                  "parameters")}, parameters=params)

    for name in SOURCES:
        production, cpu = _config(models_dir / "triton", name), _config(cpu_repository, name)
        assert production["platform"] == ["onnxruntime_onnx"] and "backend" not in production
        assert cpu["backend"] == ["python"] and "platform" not in cpu
        assert essentials(production) == essentials(cpu)


def test_config_check_names_the_wrong_target(models_dir, cpu_repository):
    io = io_spec(onnx.load(str(models_dir / "mtcnn" / "rnet.onnx")))
    problems = check_config_against_io(_config(models_dir / "triton", "rnet"), io, "cpu")
    assert any("backend" in p for p in problems) and any("KIND_CPU" in p for p in problems)
    assert check_config_against_io(_config(cpu_repository, "rnet"), io, "production") != []


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def test_write_repository_is_idempotent_and_repairs(models_dir, tmp_path):
    dest = tmp_path / "repo"
    quiet = {"log": lambda *_: None}
    assert write_repository(models_dir, dest, "cpu", **quiet) is True
    before = _snapshot(dest)
    (dest / "pnet" / "1" / "__pycache__").mkdir()  # the Python backend compiles model.py beside itself
    (dest / "pnet" / "1" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"x")
    assert write_repository(models_dir, dest, "cpu", **quiet) is False
    assert {k: v for k, v in _snapshot(dest).items() if "__pycache__" not in k} == before
    assert not list(tmp_path.glob(".staging-*"))

    data = bytearray((dest / "rnet" / "1" / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 1
    (dest / "rnet" / "1" / "model.onnx").write_bytes(bytes(data))
    (dest / "stale-model").mkdir()
    assert write_repository(models_dir, dest, "cpu", **quiet) is True
    assert not (dest / "stale-model").exists()
    assert file_hash(dest / "rnet" / "1" / "model.onnx") == file_hash(models_dir / "mtcnn" / "rnet.onnx")
    assert write_repository(models_dir, dest, "cpu", instances=3, **quiet) is True  # another instance count
    assert _config(dest, "pnet")["instance_group"][0]["count"] == [3]
    assert not list(tmp_path.glob(".staging-*"))


def test_verify_checks_the_production_repository(models_dir, tmp_path):
    copy = tmp_path / "models"
    subprocess.run(["cp", "-a", str(models_dir), str(copy)], check=True)
    (copy / "triton" / "onet" / "config.pbtxt").write_text("name: \"onet\"\n")
    (copy / "triton" / "pnet" / "1" / "model.onnx").unlink()
    problems = verify(copy)
    assert "triton/onet/config.pbtxt: sha256 differs from triton/facematrix-models.json" in problems
    assert "triton/pnet/1/model.onnx: missing (named by triton/facematrix-models.json)" in problems


def test_plan_refuses_bad_settings(models_dir, tmp_path):
    with pytest.raises(ValueError, match="target"):
        plan_repository(models_dir, "gpu")
    with pytest.raises(ValueError, match="instances"):
        plan_repository(models_dir, "cpu", instances=0)
    with pytest.raises(ValueError, match="no model manifests"):
        plan_repository(tmp_path, "cpu")


def test_cli_triton_repo(models_dir, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "facematrix_models", "triton-repo", "--models", str(models_dir),
                               *args], cwd=TOOLS, capture_output=True, text=True)

    missing = cli("--target", "cpu")
    assert missing.returncode == 2 and "--dest" in missing.stderr
    first = cli("--target", "cpu", "--dest", str(tmp_path / "r"), "--instances", "2")
    assert first.returncode == 0 and "wrote the cpu Triton repository" in first.stdout, first.stderr
    second = cli("--target", "cpu", "--dest", str(tmp_path / "r"), "--instances", "2")
    assert second.returncode == 0 and second.stdout == ""
    assert _index(tmp_path / "r")["models"]["pnet"]["instance_group"] == {"kind": "KIND_CPU", "count": 2}


# --- the CPU target's model.py, with a stand-in for triton_python_backend_utils -------------------------------

class _Tensor:
    def __init__(self, name, array):
        self._name, self._array = name, array

    def name(self):
        return self._name

    def as_numpy(self):
        return self._array


class _Response:
    def __init__(self, output_tensors, error=None):
        self.output_tensors, self.error = output_tensors, error


class _Request:
    def __init__(self, **inputs):
        self.inputs = {name: _Tensor(name, array) for name, array in inputs.items()}


def _stand_in_utils() -> types.ModuleType:
    utils = types.ModuleType("triton_python_backend_utils")
    utils.Tensor = _Tensor
    utils.InferenceResponse = _Response
    utils.TritonError = lambda message: message
    utils.get_input_tensor_by_name = lambda request, name: request.inputs.get(name)
    return utils


@pytest.fixture()
def python_model(cpu_repository, monkeypatch):
    """``TritonPythonModel`` loaded from pnet's model.py in the CPU repository, initialised as the backend does."""
    monkeypatch.setitem(sys.modules, "triton_python_backend_utils", _stand_in_utils())
    path = cpu_repository / "pnet" / "1" / "model.py"
    spec = importlib.util.spec_from_file_location("facematrix_pnet_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = {"input": [{"name": "input"}], "output": [{"name": "reg"}, {"name": "prob"}],
              "parameters": {"intra_op_threads": {"string_value": "1"}}}
    model = module.TritonPythonModel()
    model.initialize({"model_config": json.dumps(config), "model_version": "1",
                      "model_repository": str(path.parent.parent)})
    return model


def test_python_model_stacks_same_shapes_and_splits_back(python_model, models_dir):
    rng = np.random.default_rng(1)
    shapes = [(1, 3, 30, 40), (2, 3, 30, 40), (1, 3, 50, 22), (3, 3, 30, 40), (1, 4, 30, 40)]
    inputs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    calls = []
    run = python_model.session.run
    python_model.session = types.SimpleNamespace(run=lambda names, feeds: calls.append(feeds["input"].shape)
                                                 or run(names, feeds))
    responses = python_model.execute([_Request(input=x) for x in inputs])
    # Three groups of one shape each: (30x40: 1+2+3 rows), (50x22), and the 4-channel one, which fails alone.
    assert calls == [(6, 3, 30, 40), (1, 3, 50, 22), (1, 4, 30, 40)]
    session = ort.InferenceSession(str(models_dir / "mtcnn" / "pnet.onnx"), providers=["CPUExecutionProvider"])
    for x, response in zip(inputs[:4], responses[:4]):
        assert response.error is None
        want = session.run(["reg", "prob"], {"input": x})
        got = {t.name(): t.as_numpy() for t in response.output_tensors}
        assert list(got) == ["reg", "prob"]
        for name, array in zip(("reg", "prob"), want):
            assert got[name].shape == array.shape and got[name].flags["C_CONTIGUOUS"]
            assert np.abs(got[name] - array).max() <= 1e-5
    assert responses[4].error and "input" in responses[4].error and responses[4].output_tensors == []
    python_model.finalize()
