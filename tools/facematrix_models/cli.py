"""Command line: ``python -m facematrix_models {build,verify,facenet,facenet-demo,triton-repo,parity,quantize} ...``."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__


def _parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog="python -m facematrix_models",
                                     description="FaceMatrix model conversion tooling")
    parser.add_argument("--version", action="version", version=f"facematrix_models {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="convert MTCNN + the Intel embedder into DIR (skipped when up to date)")
    p.add_argument("--out", help="output folder (default: $FACEMATRIX_CACHE/models, "
                                 "FACEMATRIX_CACHE defaulting to ~/.cache/facematrix)")
    p.add_argument("--shared", help="shared models folder (default: <repo>/../shared/models); when its "
                                    "intel-face-reidentification-retail-0095 folder is absent the IR is downloaded")
    p.add_argument("--force", action="store_true", help="rebuild even if the stamp says nothing changed")

    p = sub.add_parser("verify", help="check that DIR's files match their manifests and the build stamp")
    p.add_argument("--out", help="output folder (default as for build)")

    p = sub.add_parser("facenet", help="convert a facenet-pytorch InceptionResnetV1 state_dict (.pt) to ONNX")
    p.add_argument("--state-dict", required=True, help="state_dict file as torch.save writes it (zip or legacy)")
    p.add_argument("--out", help="output folder (default as for build); the model goes to OUT/NAME/")
    p.add_argument("--name", default="facenet-vggface2")
    p.add_argument("--triton", action="store_true", help="also write OUT/triton/NAME/{config.pbtxt,1/model.onnx}")
    p.add_argument("--version", dest="model_version", help="manifest 'version' (default: state-dict-<sha256 prefix>)")
    p.add_argument("--license", default="MIT", help="manifest 'license' (default: MIT, facenet-pytorch's)")
    p.add_argument("--source", help="manifest 'source' text (default: file name + sha256)")

    p = sub.add_parser("facenet-demo", help="a model folder DEST with MTCNN and a random-weight FaceNet embedder "
                                            "(for tests of the FaceNet path); nothing is written when up to date")
    p.add_argument("dest", help="the folder to write: DEST/mtcnn/, DEST/NAME/ (and DEST/triton/ with --triton)")
    p.add_argument("--models", help="where MTCNN is copied from (default as for build; built first if needed)")
    p.add_argument("--name", default="facenet-random", help="the embedder's folder = FACEMATRIX_EMBEDDER")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    p.add_argument("--triton", action="store_true", help="also write DEST/triton/ (production repository)")

    p = sub.add_parser("triton-repo", help="write a Triton model repository of every model in DIR (nothing is "
                                           "written when it is up to date)")
    p.add_argument("--models", help="the model folder (default as for build's --out)")
    p.add_argument("--target", choices=["production", "cpu"], default="production",
                   help="production: onnxruntime_onnx on KIND_GPU (what `build` writes to DIR/triton); cpu: "
                        "the Python backend running model.onnx with onnxruntime on KIND_CPU (scripts/triton.sh)")
    p.add_argument("--dest", help="the repository folder (default DIR/triton for production; required for cpu)")
    p.add_argument("--instances", type=int, default=1, help="instance_group count of every model (default 1)")

    p = sub.add_parser("parity", help="embedder parity on real faces: converted ONNX (onnxruntime) vs the IR "
                                      "(OpenVINO, f32); writes OUT/parity-report.json")
    p.add_argument("--out", help="models folder (default as for build); built first if needed")
    p.add_argument("--shared", help="shared models folder (default as for build)")
    p.add_argument("--faces", help="test-data faces folder (default: <repo>/../shared/testdata/faces)")

    p = sub.add_parser("quantize", help="an INT8 (static QDQ) or FP16-weight copy of the default embedder in DEST, "
                                        "beside a copy of MTCNN (bench/quantized-embedder.py measures it)")
    p.add_argument("--mode", choices=["int8", "int8-all", "fp16-weights"], default="int8",
                   help="int8: static QDQ, depthwise Convs f32 (default); int8-all: depthwise Convs int8 too; "
                        "fp16-weights: float16 weights, same function")
    p.add_argument("--models", help="the model folder with the FP32 embedder and MTCNN (default as for build's --out)")
    p.add_argument("--dest", help="the folder to write (default: $FACEMATRIX_CACHE/models-quantized)")
    p.add_argument("--faces", help="test-data faces folder whose lfw/ gives the calibration photos "
                                   "(default: <repo>/../shared/testdata/faces)")
    p.add_argument("--fold", type=int, default=2, help="LFW fold of the calibration photos (default 2)")
    p.add_argument("--photos", type=int, default=300, help="calibration photos (default 300)")

    return parser


def _build(args) -> int:
    """``build``: convert into OUT unless it is up to date. A source that cannot be reached (no shared models
    folder and no network) is one line naming it, not a traceback."""
    from urllib.error import URLError
    from .build import build
    try:
        build(args.out, args.shared, force=args.force)
    except URLError as error:
        where = args.shared or "../shared/models"
        print(f"facematrix_models: the source models are not in {where} and could not be downloaded "
              f"({error.reason}); put the shared folder beside the clone or allow network access", file=sys.stderr)
        return 1
    return 0


def _verify(args) -> int:
    """``verify``: print each problem of OUT; 1 when there is any."""
    from .build import default_out, verify
    out = args.out or default_out()
    problems = verify(out)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"{out}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def _facenet(args) -> int:
    """``facenet``: convert a state_dict into OUT/NAME/."""
    from .build import convert_facenet
    convert_facenet(args.state_dict, args.out, name=args.name, triton=args.triton,
                    version=args.model_version, license_=args.license, source=args.source)
    return 0


def _facenet_demo(args) -> int:
    """``facenet-demo``: MTCNN + a random-weight FaceNet in DEST."""
    from .facenet_demo import make_demo
    make_demo(args.dest, args.models, name=args.name, seed=args.seed, triton=args.triton)
    return 0


def _triton_repo(args) -> int:
    """``triton-repo``: the TARGET repository of DIR's models at DEST (a line says so when it is rewritten)."""
    from pathlib import Path

    from .build import TRITON_DIR, default_out, locked
    from .triton_repository import write_repository
    models = Path(args.models) if args.models else default_out()
    if args.dest is None and args.target != "production":
        print("facematrix_models: triton-repo --target cpu needs --dest (DIR/triton is the production one)",
              file=sys.stderr)
        return 2
    dest = Path(args.dest) if args.dest else models / TRITON_DIR
    with locked(models):
        write_repository(models, dest, args.target, instances=args.instances)
    return 0


def _parity(args) -> int:
    """``parity``: build OUT if needed, then compare the converted embedder with the IR."""
    from .build import build, default_out
    from .parity import run_embedder_parity
    out = args.out or default_out()
    build(out, args.shared)
    report = run_embedder_parity(out, shared=args.shared, faces_dir=args.faces)
    print(json.dumps({k: v for k, v in report.items() if k != "faces"}, indent=2))
    return 0 if report["ok"] else 1


def _quantize(args) -> int:
    """``quantize``: DEST/mtcnn and DEST/<embedder>-int8 (or -fp16w) from the model folder."""
    from .quantize import quantize_embedder
    quantize_embedder(args.mode, args.models, args.dest, args.faces, fold=args.fold, photos=args.photos)
    return 0


# subcommand -> handler(args) returning the exit status
COMMANDS = {"build": _build, "verify": _verify, "facenet": _facenet, "facenet-demo": _facenet_demo,
            "triton-repo": _triton_repo, "parity": _parity, "quantize": _quantize}


def main(argv=None) -> int:
    """Run the subcommand named in ``argv`` (default: sys.argv); returns the exit status."""
    args = _parser().parse_args(argv)
    handler = COMMANDS.get(args.command)
    return handler(args) if handler else 2
