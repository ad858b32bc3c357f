"""FaceNet converter: a random-weight facenet-pytorch InceptionResnetV1 state_dict,
written as torch.save would (zip and legacy formats), converted to ONNX and
compared with faceie's independent numpy Inception-ResNet-v1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from facematrix_models.build import convert_facenet, verify
from facematrix_models.facenet import build_inception_resnet_v1
from facematrix_models.facenet_demo import DEMO_NAME, make_demo, random_state_dict
from facematrix_models.onnx_graph import io_spec, save_model
from facematrix_models.parity import compare_outputs, load_rgb, onnx_outputs, update_report
from facematrix_models.torch_pickle import load_state_dict, save_state_dict
from facematrix_models.triton import check_config_against_io, parse_pbtxt

fnet = pytest.importorskip("faceie.facenet.model")
from faceie.nn_arguments import BatchNormalisationWeights, Conv2DWeights, LinearWeights  # noqa: E402

# facenet-pytorch 2.6.0 InceptionResnetV1(classify=False).state_dict(), measured with torch:
# 714 entries (incl. num_batches_tracked), 23,512,336 elements.
TOOLS = Path(__file__).resolve().parents[1]
FACENET_PYTORCH_ENTRIES = 714
FACENET_PYTORCH_ELEMENTS = 23_512_336
BN_EPS = 0.001


def _faceie_weights(sd: dict):
    """Load a facenet-pytorch state_dict into faceie's weight structures."""
    def bnw(p):
        return BatchNormalisationWeights(sd[f"{p}.running_mean"], sd[f"{p}.running_var"],
                                         sd[f"{p}.weight"], sd[f"{p}.bias"], BN_EPS)

    def unit(p):
        return fnet.ConvolutionalUnitWeights(sd[f"{p}.conv.weight"], bnw(f"{p}.bn"))

    def conv(p):
        return Conv2DWeights(sd[f"{p}.weight"], sd[f"{p}.bias"])

    stem = fnet.StemWeights(*(unit(n) for n in ("conv2d_1a", "conv2d_2a", "conv2d_2b", "conv2d_3b",
                                                 "conv2d_4a", "conv2d_4b")))
    a = [fnet.InceptionResNetAWeights(unit(f"{p}.branch0"), unit(f"{p}.branch1.0"), unit(f"{p}.branch1.1"),
                                      unit(f"{p}.branch2.0"), unit(f"{p}.branch2.1"), unit(f"{p}.branch2.2"),
                                      conv(f"{p}.conv2d"), 0.17)
         for p in (f"repeat_1.{i}" for i in range(5))]
    ra = fnet.ReductionAWeights(unit("mixed_6a.branch0"), unit("mixed_6a.branch1.0"),
                                unit("mixed_6a.branch1.1"), unit("mixed_6a.branch1.2"))
    b = [fnet.InceptionResNetBWeights(unit(f"{p}.branch0"), unit(f"{p}.branch1.0"), unit(f"{p}.branch1.1"),
                                      unit(f"{p}.branch1.2"), conv(f"{p}.conv2d"), 0.10)
         for p in (f"repeat_2.{i}" for i in range(10))]
    rb = fnet.ReductionBWeights(*(unit(f"mixed_7a.{n}") for n in ("branch0.0", "branch0.1", "branch1.0",
                                                                   "branch1.1", "branch2.0", "branch2.1",
                                                                   "branch2.2")))
    c = [fnet.InceptionResNetCWeights(unit(f"{p}.branch0"), unit(f"{p}.branch1.0"), unit(f"{p}.branch1.1"),
                                      unit(f"{p}.branch1.2"), conv(f"{p}.conv2d"), scale)
         for p, scale in [(f"repeat_3.{i}", 0.20) for i in range(5)] + [("block8", 1.0)]]
    return fnet.FaceNetWeights(stem, a, ra, b, rb, c, LinearWeights(sd["last_linear.weight"].T, None),
                               bnw("last_bn"))


def _faceie_raw_embedding(x: np.ndarray, w) -> np.ndarray:
    """faceie's encode_faces on an array batch, stopping before its L2 normalisation."""
    x = fnet.stem(x, w.stem)
    for wa in w.inception_resnet_a:
        x = fnet.inception_resnet_a(x, wa)
    x = fnet.reduction_a(x, w.reduction_a)
    for wb in w.inception_resnet_b:
        x = fnet.inception_resnet_b(x, wb)
    x = fnet.reduction_b(x, w.reduction_b)
    for wc in w.inception_resnet_c[:-1]:
        x = fnet.inception_resnet_c(x, wc)
    x = fnet.inception_resnet_c(x, w.inception_resnet_c[-1], skip_relu=True)
    x = fnet.linear(np.mean(x, axis=(2, 3)), *w.output_dimension_reduction)
    return fnet.batch_normalisation_2d(x, *w.output_batch_normalisation, channel_axis=1)


@pytest.fixture(scope="module")
def state_dict():
    sd = random_state_dict()
    assert len(sd) == FACENET_PYTORCH_ENTRIES
    assert sum(v.size for v in sd.values()) == FACENET_PYTORCH_ELEMENTS
    return sd


@pytest.fixture(scope="module")
def face_batch(faces_dir):
    """5 real 160x160 face crops (facenet-pytorch's own MTCNN crops + an LFW centre crop),
    standardised as fixed_image_standardization does."""
    crops = [load_rgb(faces_dir / f"facenet-pytorch/test_images_aligned/{n}/1.png")
             for n in ("bradley_cooper", "kate_siegel", "paul_rudd", "shea_whigham")]
    crops.append(load_rgb(faces_dir / "lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg")[45:205, 45:205])
    batch = np.stack(crops).transpose(0, 3, 1, 2).astype(np.float32)
    return (batch - 127.5) / 128.0


@pytest.fixture(scope="module")
def converted(state_dict, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("facenet")
    save_state_dict(state_dict, tmp / "random-zip.pt", fmt="zip")
    save_state_dict(state_dict, tmp / "random-legacy.pt", fmt="legacy")
    out = tmp / "models"
    model_dir = convert_facenet(tmp / "random-zip.pt", out, name="facenet-random", triton=True, log=lambda *_: None)
    return tmp, out, model_dir


@pytest.fixture(scope="module")
def reference(state_dict, face_batch):
    return _faceie_raw_embedding(face_batch, _faceie_weights(state_dict))


def test_facenet_onnx_matches_faceie(models_dir, converted, face_batch, reference):
    _, _, model_dir = converted
    ours = onnx_outputs(model_dir / "model.onnx", {"input": face_batch})[0]
    assert ours.shape == (5, 512)
    r = compare_outputs({"embedding": reference}, {"embedding": ours}, max_abs=1e-4)
    r.update(n=5, reference="faceie 0.0.5 numpy Inception-ResNet-v1, same random weights",
             max_abs_reference=float(np.abs(reference).max()))
    update_report(models_dir, "facenet-converter", r)
    print(f"\nFaceNet converter vs faceie: max abs diff {r['max_abs_diff']['embedding']:.3g} "
          f"(|ref| max {r['max_abs_reference']:.3g})")
    assert r["ok"], r
    assert np.abs(reference).max() > 0.1  # a meaningful signal, not all zeros


def test_facenet_zip_and_legacy_checkpoints_convert_identically(state_dict, converted):
    tmp, _, model_dir = converted
    loaded_zip = load_state_dict(tmp / "random-zip.pt")
    loaded_legacy = load_state_dict(tmp / "random-legacy.pt")
    assert list(loaded_zip) == list(state_dict) == list(loaded_legacy)
    for k, v in state_dict.items():
        assert np.array_equal(loaded_zip[k], v) and loaded_zip[k].dtype == v.dtype
        assert np.array_equal(loaded_legacy[k], v)
    path = tmp / "legacy.onnx"
    save_model(build_inception_resnet_v1(loaded_legacy, producer_version=_producer(model_dir)), path)
    assert path.read_bytes() == (model_dir / "model.onnx").read_bytes()


def _producer(model_dir):
    return onnx.load(str(model_dir / "model.onnx"), load_external_data=False).producer_version


def test_facenet_manifest_and_triton(converted):
    _, out, model_dir = converted
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["task"] == "embedding"
    assert manifest["inputs"] == [{"name": "input", "shape": [-1, 3, 160, 160], "dtype": "float32"}]
    assert manifest["outputs"] == [{"name": "embedding", "shape": [-1, 512], "dtype": "float32"}]
    assert manifest["preprocessing"] == {"layout": "NCHW", "channel_order": "RGB", "mean": [127.5] * 3,
                                         "scale": [0.0078125] * 3, "transpose_hw": False}
    assert manifest["crop"]["method"] == "box_margin" and manifest["crop"]["size"] == [160, 160]
    assert manifest["crop"]["margin"] == 0.0 and manifest["crop"]["margin_unit"] == "pixels_of_output"
    assert manifest["thresholds"] is None and "calibrated" in manifest["notes"]
    assert verify(out) == [f"{out / '.build-stamp.json'} is missing or unreadable"]  # no build stamp here
    config = parse_pbtxt((out / "triton" / "facenet-random" / "config.pbtxt").read_text())
    model = onnx.load(str(out / "triton" / "facenet-random" / "1" / "model.onnx"))
    assert check_config_against_io(config, io_spec(model)) == []
    assert config["max_batch_size"] == [64] and config["dynamic_batching"][0]["max_queue_delay_microseconds"] == [2000]
    index = json.loads((out / "triton" / "facematrix-models.json").read_text())
    assert index["roles"] == {"embedder": "facenet-random"}  # no MTCNN in this folder


def test_facenet_parity_check_detects_wrong_residual_scale(converted, face_batch, reference, tmp_path):
    """Block17's residual scale 0.10 replaced by 0.17 (a plausible mix-up) must be caught."""
    _, _, model_dir = converted
    model = onnx.load(str(model_dir / "model.onnx"))
    init = next(i for i in model.graph.initializer if i.name.startswith("repeat_2.3.scale"))
    init.CopyFrom(onnx.numpy_helper.from_array(np.array(0.17, dtype=np.float32), init.name))
    path = tmp_path / "wrong.onnx"
    save_model(model, path)
    ours = onnx_outputs(path, {"input": face_batch})[0]
    assert not compare_outputs({"embedding": reference}, {"embedding": ours})["ok"]


def test_facenet_converter_entries(state_dict):
    """A classification head (logits.*, present in facenet-pytorch's pretrained files) is ignored;
    anything else unexpected or missing is an error."""
    sd = dict(state_dict, **{"logits.weight": np.zeros((8631, 512), np.float32),
                             "logits.bias": np.zeros(8631, np.float32)})
    assert build_inception_resnet_v1(sd).graph.output[0].name == "embedding"
    sd = dict(state_dict)
    sd["extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="unexpected"):
        build_inception_resnet_v1(sd)
    sd = dict(state_dict)
    del sd["repeat_2.4.branch1.1.conv.weight"]
    with pytest.raises(ValueError, match="lacks"):
        build_inception_resnet_v1(sd)


def test_facenet_demo_folder(models_dir, converted, tmp_path):
    """`facenet-demo DIR`: MTCNN + the random-weight FaceNet, the manifest as the service reads it, the same bytes
    as a conversion of the same weights, nothing written the second time; with --triton, its repository."""
    _, _, model_dir = converted
    dest = tmp_path / "demo"
    cli = subprocess.run([sys.executable, "-m", "facematrix_models", "facenet-demo", str(dest), "--models",
                          str(models_dir), "--triton"], cwd=TOOLS, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert f"FACEMATRIX_MODEL_DIR={dest} FACEMATRIX_EMBEDDER={DEMO_NAME}" in cli.stdout
    assert (dest / DEMO_NAME / "model.onnx").read_bytes() == (model_dir / "model.onnx").read_bytes()  # seed 0
    for name in ("manifest.json", "pnet.onnx", "rnet.onnx", "onet.onnx"):
        assert (dest / "mtcnn" / name).read_bytes() == (models_dir / "mtcnn" / name).read_bytes()
    manifest = json.loads((dest / DEMO_NAME / "manifest.json").read_text())
    assert manifest["name"] == DEMO_NAME and manifest["version"] == "random-seed-0"
    assert manifest["crop"]["margin_unit"] == "pixels_of_output" and manifest["thresholds"] is None
    index = json.loads((dest / "triton" / "facematrix-models.json").read_text())
    assert index["roles"] == {"pnet": "pnet", "rnet": "rnet", "onet": "onet", "embedder": DEMO_NAME}
    assert index["models"][DEMO_NAME]["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 160, 160]}]
    before = {p: p.stat().st_mtime_ns for p in dest.rglob("*") if p.is_file()}
    again = make_demo(dest, models_dir, triton=True, log=lambda *_: None)
    assert again == dest.resolve() and {p: p.stat().st_mtime_ns for p in dest.rglob("*") if p.is_file()} == before
    assert [p for p in verify(dest) if "build-stamp" not in p] == []


def test_the_service_accepts_the_converters_margin_unit(converted):
    """The Swift FaceAligner refuses any box_margin unit but nil and the ones it names; the converter's is one."""
    _, _, model_dir = converted
    unit = json.loads((model_dir / "manifest.json").read_text())["crop"]["margin_unit"]
    aligner = (TOOLS.parent / "Sources" / "FacePipeline" / "FaceAligner.swift").read_text()
    accepted = set(re.findall(r'crop\.marginUnit == "([^"]+)"', aligner))
    assert accepted and unit in accepted, (unit, accepted)
