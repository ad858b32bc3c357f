"""MTCNN: our ONNX nets vs faceie's independent numpy nets (its own copy of the
weights), on real photo data; plus the numpy detection pipeline on real photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from facematrix_models.detect import MTCNN, crop_batch, pyramid_level, pyramid_scales
from facematrix_models.onnx_graph import save_model
from facematrix_models.parity import compare_outputs, load_rgb, onnx_outputs, update_report
from facematrix_models.torch_pickle import load_state_dict
from facematrix_models.sources import facenet_pytorch_mtcnn_files

faceie_model = pytest.importorskip("faceie.mtcnn.model")

# faceie stores the box regression relative to the top-left corner of the
# window for all four values: its x2/y2 biases are ours + 1.
FACEIE_REG_OFFSET = np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)
# faceie interleaves landmarks (x1, y1, x2, y2, ...); ours are x1..x5, y1..y5.
FACEIE_LANDMARK_ORDER = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]

PHOTO = "face_recognition/examples/two_people.jpg"
SMALL_PHOTO = "face_recognition/examples/obama_small.jpg"


@pytest.fixture(scope="module")
def mtcnn(models_dir):
    return MTCNN(models_dir / "mtcnn")


@pytest.fixture(scope="module")
def photo(faces_dir):
    return load_rgb(faces_dir / PHOTO).transpose(2, 0, 1).astype(np.float32)


def _pnet_inputs(small_chw, chw):
    """Several pyramid levels of a real photo plus a real face-region crop of another."""
    scales = pyramid_scales(*small_chw.shape[1:])
    levels = [pyramid_level(small_chw, scales[i]) for i in (0, 2, 4, len(scales) - 1)]
    levels.append(pyramid_level(chw[:, 10:250, 220:400], 0.37))  # around a face, odd size
    return levels


def _crop_boxes(mtcnn, chw, rng):
    """Boxes of real crops: the detected faces, jittered versions of them, random windows."""
    boxes, _ = mtcnn.detect(chw.transpose(1, 2, 0).astype(np.uint8))
    assert len(boxes) == 2
    jitter = boxes[:, None, :4] + rng.uniform(-25, 25, (len(boxes), 12, 4))
    h, w = chw.shape[1:]
    xy = rng.uniform(0, [w - 120, h - 120], (16, 2))
    windows = np.concatenate([xy, xy + rng.uniform(30, 120, (16, 1))], axis=1)
    return np.concatenate([boxes[:, :4], jitter.reshape(-1, 4), windows]).astype(np.float32)


def _faceie_pnet(x):
    ref_prob, ref_reg = faceie_model.p_net(x[0])
    return {"reg": ref_reg - FACEIE_REG_OFFSET, "prob": ref_prob}


def _ours_pnet(path, x):
    reg, prob = onnx_outputs(path, {"input": x})
    assert np.allclose(prob[0, 0], 1 - prob[0, 1], atol=1e-6)
    return {"reg": reg[0].transpose(1, 2, 0), "prob": prob[0, 1]}


def _faceie_rnet(x):
    ref_prob, ref_reg = faceie_model.r_net(x)
    return {"reg": ref_reg - FACEIE_REG_OFFSET, "prob": ref_prob}


def _ours_rnet(path, x):
    reg, prob = onnx_outputs(path, {"input": x})
    return {"reg": reg, "prob": prob[:, 1]}


def _faceie_onet(x):
    ref_prob, ref_reg, ref_lm = faceie_model.o_net(x)
    return {"reg": ref_reg - FACEIE_REG_OFFSET, "prob": ref_prob, "landmarks": ref_lm}


def _ours_onet(path, x):
    reg, lm, prob = onnx_outputs(path, {"input": x})
    return {"reg": reg, "prob": prob[:, 1], "landmarks": lm[:, FACEIE_LANDMARK_ORDER]}


@pytest.fixture(scope="module")
def mtcnn_inputs(mtcnn, photo, faces_dir):
    small = load_rgb(faces_dir / SMALL_PHOTO).transpose(2, 0, 1).astype(np.float32)
    boxes = _crop_boxes(mtcnn, photo, np.random.default_rng(7))
    return {"pnet": _pnet_inputs(small, photo),
            "rnet": crop_batch(photo, boxes, 24)[0],
            "onet": crop_batch(photo, boxes, 48)[0]}


@pytest.fixture(scope="module")
def mtcnn_parity(models_dir, mtcnn_inputs):
    mt = models_dir / "mtcnn"
    results = {}
    worst = {"reg": 0.0, "prob": 0.0}
    for x in mtcnn_inputs["pnet"]:
        r = compare_outputs(_faceie_pnet(x), _ours_pnet(mt / "pnet.onnx", x))
        assert r["ok"], r
        worst = {k: max(worst[k], r["max_abs_diff"][k]) for k in worst}
    results["pnet"] = {"inputs": [list(x.shape) for x in mtcnn_inputs["pnet"]], "max_abs_diff": worst}
    for net, ref, ours in (("rnet", _faceie_rnet, _ours_rnet), ("onet", _faceie_onet, _ours_onet)):
        x = mtcnn_inputs[net]
        r = compare_outputs(ref(x), ours(mt / f"{net}.onnx", x))
        assert r["ok"], r
        results[net] = {"inputs": list(x.shape), "max_abs_diff": r["max_abs_diff"]}
    return results


def test_mtcnn_nets_match_faceie(models_dir, mtcnn_parity):
    results = mtcnn_parity
    worst = max(v for net in ("pnet", "rnet", "onet") for v in results[net]["max_abs_diff"].values())
    report = {"ok": worst <= 1e-4, "max_abs_diff": worst, "reference": "faceie 0.0.5 numpy nets",
              **{net: results[net] for net in ("pnet", "rnet", "onet")}}
    update_report(models_dir, "mtcnn", report)
    print(f"\nMTCNN vs faceie max abs diff: {worst:.3g} "
          + " ".join(f"{n}={results[n]['max_abs_diff']}" for n in ("pnet", "rnet", "onet")))
    assert worst <= 1e-4


def test_onnx_matches_facenet_pytorch_state_dict_counts():
    for net, (tensors, params) in {"pnet": (13, 6632), "rnet": (16, 100178), "onet": (21, 389040)}.items():
        sd = load_state_dict(facenet_pytorch_mtcnn_files()[net])
        assert len(sd) == tensors
        assert sum(v.size for v in sd.values()) == params


def _mutated(model_path, tmp_path, mutate):
    model = onnx.load(str(model_path))
    mutate(model)
    path = tmp_path / f"mutated-{model_path.name}"
    save_model(model, path)
    return path


def test_parity_check_detects_missing_permute(models_dir, mtcnn_inputs, tmp_path):
    """Dropping facenet-pytorch's permute(0,3,2,1) before the dense layer must be caught."""
    def no_permute(model):
        node = next(n for n in model.graph.node if n.op_type == "Transpose")
        node.attribute[0].ints[:] = [0, 1, 2, 3]

    x = mtcnn_inputs["rnet"]
    path = _mutated(models_dir / "mtcnn" / "rnet.onnx", tmp_path, no_permute)
    assert not compare_outputs(_faceie_rnet(x), _ours_rnet(path, x))["ok"]


def test_parity_check_detects_floor_mode_pooling(models_dir, mtcnn_inputs, tmp_path):
    """P-Net max pool without ceil_mode gives other output sizes/values: must be caught."""
    def floor_mode(model):
        pool = next(n for n in model.graph.node if n.op_type == "MaxPool")
        next(a for a in pool.attribute if a.name == "ceil_mode").i = 0

    path = _mutated(models_dir / "mtcnn" / "pnet.onnx", tmp_path, floor_mode)
    x = mtcnn_inputs["pnet"][-1]  # odd-sized input: ceil and floor differ
    assert not compare_outputs(_faceie_pnet(x), _ours_pnet(path, x))["ok"]


def test_parity_check_detects_perturbed_weights(models_dir, mtcnn_inputs, tmp_path):
    def perturb(model):
        init = next(i for i in model.graph.initializer if i.name.startswith("conv2.weight"))
        w = onnx.numpy_helper.to_array(init).copy()
        w.flat[0] += 0.05
        init.CopyFrom(onnx.numpy_helper.from_array(w, init.name))

    x = mtcnn_inputs["onet"]
    path = _mutated(models_dir / "mtcnn" / "onet.onnx", tmp_path, perturb)
    assert not compare_outputs(_faceie_onet(x), _ours_onet(path, x))["ok"]


@pytest.mark.parametrize("rel, expected", [
    ("lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg", 1),
    ("facenet-pytorch/test_images/noise/1.jpg", 0),
])
def test_detection_pipeline_on_real_photos(mtcnn, faces_dir, rel, expected):
    boxes, points = mtcnn.detect(load_rgb(faces_dir / rel))
    assert len(boxes) == expected
    for box, pts in zip(boxes, points):
        x1, y1, x2, y2, score = box
        assert score > 0.9
        # the 5 landmarks lie inside their box; eyes above the mouth corners
        assert np.all((pts[:, 0] > x1) & (pts[:, 0] < x2) & (pts[:, 1] > y1) & (pts[:, 1] < y2))
        assert max(pts[0, 1], pts[1, 1]) < min(pts[3, 1], pts[4, 1])


def test_detection_pipeline_matches_facenet_pytorch(mtcnn, faces_dir):
    """Boxes and landmarks equal facenet-pytorch 2.6.0's own detect_face (torch nets),
    recorded in tests/data by make_facenet_pytorch_reference.py."""
    reference = json.loads((Path(__file__).parent / "data" / "facenet_pytorch_detections.json").read_text())
    for rel, ref in reference["images"].items():
        boxes, points = mtcnn.detect(load_rgb(faces_dir / rel))
        ref_boxes, ref_points = np.asarray(ref["boxes"]), np.asarray(ref["landmarks"])
        assert boxes.shape == ref_boxes.shape, rel
        order, ref_order = np.lexsort(boxes[:, :2].T), np.lexsort(ref_boxes[:, :2].T)
        assert np.abs(boxes[order, :4] - ref_boxes[ref_order, :4]).max() < 0.01, rel
        assert np.abs(boxes[order, 4] - ref_boxes[ref_order, 4]).max() < 1e-3, rel
        assert np.abs(points[order] - ref_points[ref_order]).max() < 0.01, rel
