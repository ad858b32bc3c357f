"""FaceNet converter: a random-weight facenet-pytorch InceptionResnetV1 state_dict,
written as torch.save would (zip and legacy formats), converted to ONNX and
compared with faceie's independent numpy Inception-ResNet-v1."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from facematrix_models.build import convert_facenet, verify
from facematrix_models.facenet import build_inception_resnet_v1
from facematrix_models.onnx_graph import io_spec, save_model
from facematrix_models.parity import compare_outputs, load_rgb, onnx_outputs, update_report
from facematrix_models.torch_pickle import load_state_dict, save_state_dict
from facematrix_models.triton import check_config_against_io, parse_pbtxt

fnet = pytest.importorskip("faceie.facenet.model")
from faceie.nn_arguments import BatchNormalisationWeights, Conv2DWeights, LinearWeights  # noqa: E402

# facenet-pytorch 2.6.0 InceptionResnetV1(classify=False).state_dict(), measured with torch:
# 714 entries (incl. num_batches_tracked), 23,512,336 elements.
FACENET_PYTORCH_ENTRIES = 714
FACENET_PYTORCH_ELEMENTS = 23_512_336
BN_EPS = 0.001


def _random_state_dict(seed: int = 0) -> dict:
    """facenet-pytorch key names and shapes, weights like torch's default init,
    batch-norm statistics random (variances positive)."""
    rng = np.random.default_rng(seed)
    sd: dict[str, np.ndarray] = {}

    def uniform(shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    def bn(prefix, c):
        sd[f"{prefix}.weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        sd[f"{prefix}.bias"] = rng.uniform(-0.2, 0.2, c).astype(np.float32)
        sd[f"{prefix}.running_mean"] = rng.uniform(-0.5, 0.5, c).astype(np.float32)
        sd[f"{prefix}.running_var"] = rng.uniform(0.5, 2.0, c).astype(np.float32)
        sd[f"{prefix}.num_batches_tracked"] = np.array(int(rng.integers(1, 10**6)), dtype=np.int64)

    def basic(prefix, cin, cout, k):
        kh, kw = (k, k) if isinstance(k, int) else k
        sd[f"{prefix}.conv.weight"] = uniform((cout, cin, kh, kw), cin * kh * kw)
        bn(f"{prefix}.bn", cout)

    def conv_bias(prefix, cin, cout):
        sd[f"{prefix}.weight"] = uniform((cout, cin, 1, 1), cin)
        sd[f"{prefix}.bias"] = uniform((cout,), cin)

    for name, cin, cout, k in [("conv2d_1a", 3, 32, 3), ("conv2d_2a", 32, 32, 3), ("conv2d_2b", 32, 64, 3),
                               ("conv2d_3b", 64, 80, 1), ("conv2d_4a", 80, 192, 3), ("conv2d_4b", 192, 256, 3)]:
        basic(name, cin, cout, k)
    for i in range(5):  # Block35
        p = f"repeat_1.{i}"
        basic(f"{p}.branch0", 256, 32, 1)
        basic(f"{p}.branch1.0", 256, 32, 1)
        basic(f"{p}.branch1.1", 32, 32, 3)
        basic(f"{p}.branch2.0", 256, 32, 1)
        basic(f"{p}.branch2.1", 32, 32, 3)
        basic(f"{p}.branch2.2", 32, 32, 3)
        conv_bias(f"{p}.conv2d", 96, 256)
    basic("mixed_6a.branch0", 256, 384, 3)
    basic("mixed_6a.branch1.0", 256, 192, 1)
    basic("mixed_6a.branch1.1", 192, 192, 3)
    basic("mixed_6a.branch1.2", 192, 256, 3)
    for i in range(10):  # Block17
        p = f"repeat_2.{i}"
        basic(f"{p}.branch0", 896, 128, 1)
        basic(f"{p}.branch1.0", 896, 128, 1)
        basic(f"{p}.branch1.1", 128, 128, (1, 7))
        basic(f"{p}.branch1.2", 128, 128, (7, 1))
        conv_bias(f"{p}.conv2d", 256, 896)
    basic("mixed_7a.branch0.0", 896, 256, 1)
    basic("mixed_7a.branch0.1", 256, 384, 3)
    basic("mixed_7a.branch1.0", 896, 256, 1)
    basic("mixed_7a.branch1.1", 256, 256, 3)
    basic("mixed_7a.branch2.0", 896, 256, 1)
    basic("mixed_7a.branch2.1", 256, 256, 3)
    basic("mixed_7a.branch2.2", 256, 256, 3)
    for p in [f"repeat_3.{i}" for i in range(5)] + ["block8"]:  # Block8
        basic(f"{p}.branch0", 1792, 192, 1)
        basic(f"{p}.branch1.0", 1792, 192, 1)
        basic(f"{p}.branch1.1", 192, 192, (1, 3))
        basic(f"{p}.branch1.2", 192, 192, (3, 1))
        conv_bias(f"{p}.conv2d", 384, 1792)
    sd["last_linear.weight"] = uniform((512, 1792), 1792)
    bn("last_bn", 512)
    return sd


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
    sd = _random_state_dict()
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
