"""The report of `make bench-profile` (bench/profile.sh): perf's samples of the service sorted into where its CPU
goes, with the rate k6 saw meanwhile, as bench/results/profile-<date>.{json,md}.

    profile_report.py PERF_REPORT K6_SUMMARY READY_JSON OUT_STEM --command C --vus N --seconds S --people P

PERF_REPORT is `perf report --stdio --no-children --sort dso,sym -F overhead,dso,sym --no-demangle`. Swift symbols
are sorted by the module their mangled name starts with (`$s13FacePipeline…` → FacePipeline), the rest by library.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path

from inference_options_report import machine
from report_files import write_report

# The library may have spaces ("[JIT] tid 123"); the symbol's kind is one letter in brackets.
LINE = re.compile(r"^\s*([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*?)\s*$")

# (category, what it holds): the order of the report.
CATEGORIES = [
    ("inference runtime", "OpenVINO / ONNX Runtime and their thread libraries (TBB, OpenMP)"),
    ("pipeline (own code)", "pyramid, crops, NMS, alignment, embedding post-processing, recognition decisions"),
    ("image decoding", "libjpeg-turbo, libspng, libwebp, libheif, libexif and the decoding module"),
    ("HTTP + JSON", "SwiftNIO, Hummingbird, multipart parsing, the routes, Foundation's JSON"),
    ("PostgreSQL client", "PostgresNIO and the store"),
    ("Swift runtime + libc", "retain/release, allocation, memcpy, the standard library"),
    ("kernel", "system calls, sockets, scheduling, page faults"),
    ("other", "everything else"),
]

LIBRARIES = [
    # OpenVINO's CPU plugin generates its kernels at run time (oneDNN's JIT): perf names them "[JIT] tid N".
    (re.compile(r"openvino|onnxruntime|libtbb|libgomp|libiomp|dnnl|\[JIT\]"), "inference runtime"),
    (re.compile(r"jpeg|spng|png|webp|heif|de265|exif|libz\.|libsharpyuv"), "image decoding"),
    (re.compile(r"libFoundation|FoundationEssentials|FoundationInternationalization|libicu"), "HTTP + JSON"),
    (re.compile(r"libswift|libc[.-]|libc\.so|libm[.-]|libstdc\+\+|ld-linux|libdispatch|libBlocksRuntime"),
     "Swift runtime + libc"),
    (re.compile(r"kernel|vmlinux|\[vdso\]"), "kernel"),
]

MODULES = [
    (re.compile(r"^(FacePipeline|FaceMatrixCore|Recognition|FaceInference\w*|ONNXRuntime|FaceMatrixConfiguration)$"),
     "pipeline (own code)"),
    (re.compile(r"^(ImageDecoding|CImageCodecs)$"), "image decoding"),
    (re.compile(r"^(NIO\w*|Hummingbird\w*|MultipartKit|FaceMatrixHTTP|FaceMatrixServer|HTTPTypes\w*|"
                r"AsyncHTTPClient|Metrics\w*|Prometheus|Logging|ServiceLifecycle|Tracing|Instrumentation)$"),
     "HTTP + JSON"),
    (re.compile(r"^(PostgresNIO|FaceStore|_ConnectionPoolModule|Crypto\w*)$"), "PostgreSQL client"),
    (re.compile(r"^(Swift|_Concurrency|Synchronization|Atomics|DequeModule|Collections\w*|_\w+)$"),
     "Swift runtime + libc"),
]


def swift_module(symbol: str) -> str | None:
    """The module a mangled Swift symbol belongs to, or None when it is not one."""
    name = symbol.split()[0]
    if not (name.startswith("$s") or name.startswith("_$s")):
        return None
    rest = name[name.index("$s") + 2:]
    if rest.startswith(("s", "S")):
        return "Swift"  # the standard library: `$ss…` and the standard substitutions `$sS…`
    match = re.match(r"(\d+)", rest)
    if not match:
        return "Swift"
    length = int(match.group(1))
    return rest[len(match.group(1)):len(match.group(1)) + length]


def category(dso: str, kind: str, symbol: str) -> str:
    """Where one sample line goes."""
    if kind == "k":
        return "kernel"
    for pattern, name in LIBRARIES:
        if pattern.search(dso):
            return name
    module = swift_module(symbol)
    if module is not None:
        for pattern, name in MODULES:
            if pattern.match(module):
                return name
        return "other"
    if symbol.startswith("swift_") or symbol.startswith("_swift"):
        return "Swift runtime + libc"
    return "other"


def parse(report: Path) -> list[tuple[float, str, str, str]]:
    """(percent, dso, kind, symbol) of every sample line of the perf report."""
    rows = []
    for line in report.read_text(errors="replace").splitlines():
        if line.startswith("#"):
            continue
        match = LINE.match(line)
        if match:
            rows.append((float(match.group(1)), match.group(2), match.group(3), match.group(4)))
    return rows


def demangled(symbols: list[str]) -> list[str]:
    """Readable names through `swift demangle`, or the symbols as they are without it."""
    tool = shutil.which("swift")
    if not tool or not symbols:
        return symbols
    done = subprocess.run([tool, "demangle", "--simplified", "--compact"], input="\n".join(symbols),
                          capture_output=True, text=True)
    lines = done.stdout.splitlines()
    return lines if done.returncode == 0 and len(lines) == len(symbols) else symbols


def k6_rate(summary: Path) -> float | None:
    """Requests a second over the whole k6 run."""
    try:
        metrics = json.loads(summary.read_text())["metrics"]
        values = metrics["http_reqs"].get("values", metrics["http_reqs"])
        return round(values["rate"], 2)
    except (OSError, KeyError, ValueError):
        return None


def markdown(result: dict) -> str:
    """The report as bench/results markdown."""
    lines = ["# Where the service's CPU goes under load (perf)", "",
             f"- command: `{result['command']}`", f"- date: {result['date']}", f"- machine: {result['machine']}",
             f"- service: {result['service']}",
             f"- load: k6, {result['vus']} VUs posting LFW photos of {result['people']} enrolled people to "
             f"recognise_user, {result['rate']} req/s over the run; perf record -e cpu-clock -F 499 on the service's "
             f"threads for {result['seconds']} s after 5 s of warm-up (perf's lines add up to "
             f"{result['samples_percent']:.1f} %; the split is of their sum)", "",
             "| where | % of the service's CPU | what it holds |", "|---|---|---|"]
    for name, what in CATEGORIES:
        lines.append(f"| {name} | {result['split'][name]:.1f} % | {what} |")
    lines += ["", "The heaviest symbols:", "", "| % | where | library | symbol |", "|---|---|---|---|"]
    for row in result["top"]:
        lines.append(f"| {row['percent']:.2f} | {row['category']} | {row['dso']} | "
                     f"{row['symbol'][:110].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("k6_summary", type=Path)
    parser.add_argument("ready", type=Path)
    parser.add_argument("out")
    for option in ("command", "vus", "seconds", "people"):
        parser.add_argument(f"--{option}", required=True)
    args = parser.parse_args()
    rows = parse(args.report)
    split = {name: 0.0 for name, _ in CATEGORIES}
    for percent, dso, kind, symbol in rows:
        split[category(dso, kind, symbol)] += percent
    top = sorted(rows, reverse=True)[:15]
    names = demangled([symbol for _, _, _, symbol in top])
    ready = json.loads(args.ready.read_text()).get("components", {})
    result = {
        "command": args.command, "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "service": f"{ready.get('inference', {}).get('version', '?')}; model {ready.get('models', {}).get('version', '?')}",
        "vus": args.vus, "seconds": args.seconds, "people": args.people, "rate": k6_rate(args.k6_summary),
        "samples_percent": round(sum(split.values()), 1),
        # perf's percentages of the report's lines do not always add up to 100 (JIT code is listed per thread):
        # the split is of the lines sorted.
        "split": {name: round(value * 100 / max(sum(split.values()), 1e-9), 2) for name, value in split.items()},
        "top": [{"percent": percent, "category": category(dso, kind, symbol), "dso": dso, "symbol": name}
                for (percent, dso, kind, symbol), name in zip(top, names)],
    }
    write_report(args.out, result, markdown(result))


if __name__ == "__main__":
    main()
