"""Intel face-reidentification-retail-0095: converted ONNX (onnxruntime) vs the
original IR (OpenVINO, f32) on aligned real faces; IR-converter unit tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import onnx
import pytest

from facematrix_models.onnx_graph import save_model
from facematrix_models.openvino_ir import UnsupportedOpError, convert_ir
from facematrix_models.parity import (EMBEDDER_MIN_COSINE, aligned_faces, compare_embeddings, compare_outputs,
                                      cosine_rows, embedder_report, onnx_outputs, openvino_embeddings,
                                      update_report)
from facematrix_models.sources import omz_reid_files

REID = "face-reidentification-retail-0095"


@pytest.fixture(scope="module")
def ir(shared_models):
    return omz_reid_files(shared_models)


@pytest.fixture(scope="module")
def faces(models_dir, faces_dir):
    labels, batch = aligned_faces(models_dir, faces_dir)
    return labels, batch


@pytest.fixture(scope="module")
def reference(ir, faces):
    return openvino_embeddings(ir["xml"], faces[1])


def test_embedder_matches_openvino_on_real_faces(models_dir, faces, reference):
    labels, batch = faces
    assert len(labels) >= 10
    assert batch.shape[1:] == (3, 128, 128)
    ours = onnx_outputs(models_dir / REID / "model.onnx", {"input": batch})[0]
    assert ours.shape == (len(labels), 256)
    report = embedder_report(labels, reference, ours)
    update_report(models_dir, REID, report)
    print(f"\n{REID}: {report['n']} faces, min cosine {report['min_cosine']:.9f}, "
          f"max abs diff {report['max_abs_diff']:.3g} (|ref| max {report['max_abs_reference']:.3g})")
    assert report["ok"], report
    assert report["min_cosine"] >= EMBEDDER_MIN_COSINE
    assert report["max_abs_diff"] <= 1e-4


def test_dynamic_batch_gives_same_embeddings(models_dir, faces):
    _, batch = faces
    path = models_dir / REID / "model.onnx"
    whole = onnx_outputs(path, {"input": batch[:4]})[0]
    single = np.concatenate([onnx_outputs(path, {"input": batch[i:i + 1]})[0] for i in range(4)])
    assert np.abs(whole - single).max() < 1e-5


def test_embeddings_separate_identities(models_dir, faces_dir):
    """Same person across photos scores high, different people low (real behaviour)."""
    images = ["face_recognition/examples/two_people.jpg",    # Biden (left), Obama (right)
              "face_recognition/examples/obama_small.jpg",
              "face_recognition/examples/biden.jpg"]
    labels, batch = aligned_faces(models_dir, faces_dir, images, min_face_size=80)  # large faces only
    assert len(labels) == 4
    e = onnx_outputs(models_dir / REID / "model.onnx", {"input": batch})[0]
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    # order of detections in two_people.jpg: by score; identify Obama as the one matching obama_small
    sims = e @ e.T
    obama_small, biden = 2, 3
    obama_in_pair = int(np.argmax(sims[obama_small, :2]))
    biden_in_pair = 1 - obama_in_pair
    assert sims[obama_small, obama_in_pair] > 0.5
    assert sims[biden, biden_in_pair] > 0.5
    assert sims[obama_small, biden] < 0.3
    assert sims[obama_in_pair, biden_in_pair] < 0.3


def _mutated_copy(models_dir, tmp_path, mutate):
    model = onnx.load(str(models_dir / REID / "model.onnx"))
    mutate(model)
    path = tmp_path / "mutated.onnx"
    save_model(model, path)
    return path


def _initializer(model, predicate):
    return next(i for i in model.graph.initializer if predicate(i))


def _scale_one_conv(factor):
    def mutate(model):
        conv = [n for n in model.graph.node if n.op_type == "Conv"][30]
        init = _initializer(model, lambda i: i.name == conv.input[1])
        w = onnx.numpy_helper.to_array(init) * np.float32(factor)
        init.CopyFrom(onnx.numpy_helper.from_array(w, init.name))
    return mutate


def test_parity_check_detects_one_corrupted_layer(models_dir, faces, reference, tmp_path):
    # sign-flipped weights in one layer: the cosine criterion fails
    ours = onnx_outputs(_mutated_copy(models_dir, tmp_path, _scale_one_conv(-1.0)), {"input": faces[1]})[0]
    report = compare_embeddings(reference, ours)
    assert not report["ok"] and report["min_cosine"] < EMBEDDER_MIN_COSINE, report
    # 5 % off in one layer: cosine stays above 0.9999, the absolute bound catches it
    ours = onnx_outputs(_mutated_copy(models_dir, tmp_path, _scale_one_conv(1.05)), {"input": faces[1]})[0]
    report = compare_embeddings(reference, ours)
    assert not report["ok"] and report["max_abs_diff"] > 1e-3, report


def test_parity_check_detects_mis_mapped_group_convolution(models_dir, faces, reference, tmp_path):
    """A classic conversion bug: depthwise kernels with H and W swapped in one layer."""
    def swap_hw(model):
        conv = next(n for n in model.graph.node if n.op_type == "Conv"
                    and any(a.name == "group" and a.i > 1 for a in n.attribute))
        init = _initializer(model, lambda i: i.name == conv.input[1])
        w = onnx.numpy_helper.to_array(init)
        init.CopyFrom(onnx.numpy_helper.from_array(np.ascontiguousarray(w.transpose(0, 1, 3, 2)), init.name))

    ours = onnx_outputs(_mutated_copy(models_dir, tmp_path, swap_hw), {"input": faces[1]})[0]
    assert not compare_embeddings(reference, ours)["ok"]


def test_compare_embeddings_threshold():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 256)).astype(np.float32)
    assert compare_embeddings(a, a + 1e-6)["ok"]
    b = a.copy()
    b[1] += 0.02 * rng.standard_normal(256)  # cosine ~0.9998
    r = compare_embeddings(a, b)
    assert not r["ok"] and r["min_cosine"] < EMBEDDER_MIN_COSINE
    assert not compare_embeddings(a, a[:2])["ok"]
    assert cosine_rows(a, -a).max() < -0.999


def test_unknown_op_fails_loudly(ir, tmp_path):
    tree = ET.parse(ir["xml"])
    layer = next(l for l in tree.getroot().iter("layer") if l.get("type") == "Sigmoid")
    layer.set("type", "HSigmoid")
    xml = tmp_path / "bad.xml"
    tree.write(xml)
    with pytest.raises(UnsupportedOpError, match="HSigmoid"):
        convert_ir(xml, ir["bin"])


# ---------------------------------------------------------------------------
# A synthetic IR with the converter features that the real model does not use:
# non-depthwise grouped conv with non-square kernel, stride and asymmetric pads;
# per-channel PReLU; AvgPool with pads, exclude-pad and both rounding types;
# an f32 Const without Convert; auto_pad same_upper.

class _IRWriter:
    def __init__(self):
        self.layers, self.edges, self.blob = [], [], bytearray()

    def _port(self, parent, pid, dims, precision="FP32"):
        port = ET.SubElement(parent, "port", id=str(pid), precision=precision)
        for d in dims:
            ET.SubElement(port, "dim").text = str(d)

    def layer(self, type_, data, inputs, out_dims, out_precision="FP32"):
        lid = len(self.layers)
        el = ET.Element("layer", id=str(lid), name=f"{type_.lower()}{lid}", type=type_, version="opset1")
        if data is not None:
            ET.SubElement(el, "data", {k: str(v) for k, v in data.items()})
        if inputs:
            inp = ET.SubElement(el, "input")
            for pid, (src, dims) in enumerate(inputs):
                self._port(inp, pid, dims)
                self.edges.append((src, 0 if self.layers[src].get("type") in ("Parameter", "Const") else
                                   len(self.layers[src].find("input")), lid, pid))
        if out_dims is not None:
            out = ET.SubElement(el, "output")
            self._port(out, len(inputs), out_dims, out_precision)
        self.layers.append(el)
        return lid

    def const(self, array, convert=True):
        array = np.ascontiguousarray(array, dtype=np.float16 if convert else np.float32)
        offset = len(self.blob)
        self.blob += array.tobytes()
        lid = self.layer("Const", {"element_type": "f16" if convert else "f32",
                                   "shape": ",".join(map(str, array.shape)), "offset": offset,
                                   "size": array.nbytes}, [], list(array.shape),
                         "FP16" if convert else "FP32")
        if convert:
            lid = self.layer("Convert", {"destination_type": "f32"}, [(lid, list(array.shape))], list(array.shape))
        return lid

    def write(self, xml_path, bin_path):
        net = ET.Element("net", name="synthetic", version="11")
        layers = ET.SubElement(net, "layers")
        layers.extend(self.layers)
        edges = ET.SubElement(net, "edges")
        for fl, fp, tl, tp in self.edges:
            ET.SubElement(edges, "edge", {"from-layer": str(fl), "from-port": str(fp),
                                          "to-layer": str(tl), "to-port": str(tp)})
        ET.ElementTree(net).write(xml_path)
        bin_path.write_bytes(bytes(self.blob))


@pytest.mark.parametrize("exclude_pad, rounding", [("true", "ceil"), ("false", "floor"), ("true", "floor")])
def test_ir_converter_ops_against_openvino(tmp_path, exclude_pad, rounding):
    rng = np.random.default_rng(3)
    w = _IRWriter()
    x = w.layer("Parameter", {"shape": "1,4,9,11", "element_type": "f32"}, [], [1, 4, 9, 11])
    # GroupConvolution: G=2, 3 out / 2 in channels per group, 3x2 kernel, stride (2,1), pads (1,0)/(0,1)
    gw = w.const(rng.standard_normal((2, 3, 2, 3, 2)) * 0.5)
    g = w.layer("GroupConvolution", {"strides": "2, 1", "dilations": "1, 1", "pads_begin": "1, 0",
                                     "pads_end": "0, 1", "auto_pad": "explicit"},
                [(x, [1, 4, 9, 11]), (gw, [2, 3, 2, 3, 2])], [1, 6, 4, 11])
    slope = w.const(rng.uniform(0.05, 0.5, 6))
    p = w.layer("PReLU", None, [(g, [1, 6, 4, 11]), (slope, [6])], [1, 6, 4, 11])
    out_h, out_w = (3, 6) if rounding == "ceil" else (2, 6)
    a = w.layer("AvgPool", {"kernel": "3, 3", "strides": "2, 2", "pads_begin": "1, 1", "pads_end": "1, 1",
                            "exclude-pad": exclude_pad, "auto_pad": "explicit", "rounding_type": rounding},
                [(p, [1, 6, 4, 11])], [1, 6, out_h, out_w])
    m = w.const(rng.uniform(0.5, 1.5, (1, 6, 1, 1)), convert=False)
    mul = w.layer("Multiply", {"auto_broadcast": "numpy"}, [(a, [1, 6, out_h, out_w]), (m, [1, 6, 1, 1])],
                  [1, 6, out_h, out_w])
    s = w.layer("Sigmoid", None, [(mul, [1, 6, out_h, out_w])], [1, 6, out_h, out_w])
    cw = w.const(rng.standard_normal((5, 6, 3, 3)) * 0.3)
    c = w.layer("Convolution", {"strides": "1, 1", "dilations": "1, 1", "pads_begin": "0, 0",
                                "pads_end": "0, 0", "auto_pad": "same_upper"},
                [(s, [1, 6, out_h, out_w]), (cw, [5, 6, 3, 3])], [1, 5, out_h, out_w])
    b = w.const(rng.standard_normal((1, 5, 1, 1)))
    add = w.layer("Add", {"auto_broadcast": "numpy"}, [(c, [1, 5, out_h, out_w]), (b, [1, 5, 1, 1])],
                  [1, 5, out_h, out_w])
    gp = w.layer("AvgPool", {"kernel": f"{out_h}, {out_w}", "strides": f"{out_h}, {out_w}", "pads_begin": "0, 0",
                             "pads_end": "0, 0", "exclude-pad": "true", "auto_pad": "explicit",
                             "rounding_type": "floor"}, [(add, [1, 5, out_h, out_w])], [1, 5, 1, 1])
    w.layer("Result", None, [(gp, [1, 5, 1, 1])], None)
    xml, binf = tmp_path / "synthetic.xml", tmp_path / "synthetic.bin"
    w.write(xml, binf)

    model = convert_ir(xml, binf, output_name="out")
    onnx_path = tmp_path / "synthetic.onnx"
    save_model(model, onnx_path)
    inputs = rng.uniform(-3, 3, (3, 4, 9, 11)).astype(np.float32)
    ours = onnx_outputs(onnx_path, {"input": inputs})[0]
    ref = openvino_embeddings(xml, inputs)
    r = compare_outputs({"out": ref}, {"out": ours}, max_abs=1e-5)
    assert r["ok"], r
