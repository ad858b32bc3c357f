"""How the benchmarks write their results: STEM.json, STEM.md, and the markdown printed."""

from __future__ import annotations

import json
from pathlib import Path


def write_report(stem: str | Path, result: dict, markdown: str, indent: int = 1) -> None:
    """Writes `result` to STEM.json and `markdown` to STEM.md, and prints the markdown."""
    Path(f"{stem}.json").write_text(json.dumps(result, indent=indent) + "\n")
    Path(f"{stem}.md").write_text(markdown)
    print(markdown)
