"""Shared fixtures: the converted models (built once per session into the model
cache, exactly as `python -m facematrix_models build` does) and the test photos."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from facematrix_models.build import build, default_out
from facematrix_models.parity import REPORT_NAME, default_faces_dir
from facematrix_models.sources import default_shared_models


@pytest.fixture(scope="session")
def shared_models() -> Path:
    return default_shared_models()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    path = default_faces_dir()
    if not path.is_dir():
        pytest.fail(f"test photos not found at {path}")
    return path


@pytest.fixture(scope="session")
def models_dir(shared_models) -> Path:
    out = default_out()
    build(out, shared_models)
    return out


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the parity figures that the tests wrote into the report file."""
    path = default_out() / REPORT_NAME
    if not path.exists():
        return
    report = json.loads(path.read_text())
    terminalreporter.section("parity figures")
    terminalreporter.write_line(f"report: {path}")
    for section, data in report.items():
        if section == "triton-server" and not os.environ.get("FACEMATRIX_TRITON_URL"):
            continue  # figures of an earlier run against a server; this run had none
        figures = {k: v for k, v in data.items() if k in ("ok", "n", "min_cosine", "max_abs_diff", "embedder_batching")}
        terminalreporter.write_line(f"{section}: {json.dumps(figures)}")
