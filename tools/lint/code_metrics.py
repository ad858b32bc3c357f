"""`make lint`'s code metrics: the maintainability index of every source file (Swift, Python, JavaScript) on the Visual Studio scale
(MI x 100 / 171, where MI = 171 - 5.2 ln V - 0.23 CC - 16.2 ln LOC is multimetric's "classic" index) and the
cyclomatic complexity of every function (lizard). The product's code and its tooling are held to the limits; test
code, and the package manifest (a list of declarations), are measured and shown, not held (a test reads best as one
straight story, even a long one). Prints the worst
few files and functions, and every one that misses a limit, and exits 1 when any does.

Usage: python code_metrics.py ROOT [--min-mi 20] [--max-ccn 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import lizard

# Generated, vendored or data-like files are not code anyone maintains by hand.
EXCLUDED_PARTS = {".build", "Fixtures", "__pycache__"}
# Test code: measured, not held to the limits.
TEST_PARTS = {"Tests", "tests"}
# Declarations with no logic: the package manifest is one list of targets, whose "maintainability index" falls with
# every target added (and with every comment line, which the classic index counts as code) whatever its quality.
DECLARATIONS = {"Package.swift"}


def is_test(path: Path, root: Path) -> bool:
    relative = path.resolve().relative_to(root)
    return bool(TEST_PARTS & set(relative.parts)) or str(relative) in DECLARATIONS


def source_files(root: Path) -> list[Path]:
    """Every tracked Swift, Python and JavaScript file."""
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "*.swift", "*.py", "*.js"],
                            check=True, capture_output=True, text=True).stdout.split()
    return [root / name for name in listed if not EXCLUDED_PARTS & set(Path(name).parts)]


def maintainability(files: list[Path]) -> dict[Path, float]:
    """The Visual Studio-scale maintainability index of each file."""
    output = subprocess.run([sys.executable, "-m", "multimetric", "--maintindex", "classic", *map(str, files)],
                            check=True, capture_output=True, text=True).stdout
    per_file = json.loads(output)["files"]
    return {Path(name): max(0.0, value["maintainability_index"]) * 100 / 171 for name, value in per_file.items()}


def complexity(files: list[Path]) -> list[tuple[int, str]]:
    """(cyclomatic complexity, "file:line function") of every function."""
    found = []
    for analysis in lizard.analyze_files(list(map(str, files))):
        for function in analysis.function_list:
            found.append((function.cyclomatic_complexity,
                          f"{analysis.filename}:{function.start_line} {function.name}"))
    return found


def report(root: Path, indices: dict[Path, float], functions: list[tuple[int, str]], min_mi: float,
           max_ccn: int) -> tuple[list[str], list[str]]:
    """Prints the worst files and functions and every miss outside the tests; returns the misses."""
    def shown(where: str) -> str:
        path, _, rest = str(where).partition(":")
        relative = str(Path(path).resolve().relative_to(root))
        return f"{relative}:{rest}" if rest else relative

    print(f"maintainability index (Visual Studio scale, limit {min_mi:g}), lowest first:")
    for path, value in sorted(indices.items(), key=lambda item: item[1])[:10]:
        print(f"  {value:5.1f}  {shown(path)}")
    print(f"cyclomatic complexity (limit {max_ccn}), highest first:")
    for ccn, where in sorted(functions, reverse=True)[:10]:
        print(f"  {ccn:5d}  {shown(where)}")
    low = [f"below {min_mi:g}: {shown(path)} ({value:.1f})" for path, value in indices.items()
           if value < min_mi and not is_test(path, root)]
    complex_ = [f"above {max_ccn}: {shown(where)} ({ccn})" for ccn, where in functions
                if ccn > max_ccn and not is_test(Path(where.split(":")[0]), root)]
    return low, complex_


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--min-mi", type=float, default=20)
    parser.add_argument("--max-ccn", type=int, default=10)
    args = parser.parse_args()
    root = args.root.resolve()
    files = source_files(root)
    functions = complexity(files)
    low, complex_ = report(root, maintainability(files), functions, args.min_mi, args.max_ccn)
    print("\n".join(low + complex_))
    print(f"{len(files)} files, {len(functions)} functions; outside the tests: {len(low)} files below "
          f"{args.min_mi:g}, {len(complex_)} functions above {args.max_ccn}")
    return 1 if low or complex_ else 0


if __name__ == "__main__":
    sys.exit(main())
