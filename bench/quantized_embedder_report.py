"""The report of bench/quantized-embedder.py: issue 13's verdict per model, and the markdown."""

from __future__ import annotations

from quantized_embedder_measure import WARMUP

GALLERIES = ("gallery 100", "gallery 1000", "gallery 1732")
MAX_ACCURACY_DROP_PT = 0.1
MAX_FRR_RISE_PT = 0.5


def _key(gallery: str) -> str:
    return gallery.replace(" ", "_")


def accuracy(summaries: dict[str, dict]) -> list[dict]:
    """Per model, its `facematrix evaluate` figures, their differences to FP32 in points, and whether it meets
    issue 13: pairs accuracy down by MAX_ACCURACY_DROP_PT at most, held-out FRR at the target FAR up by
    MAX_FRR_RISE_PT at most at every size of GALLERIES."""
    base = summaries["fp32"]
    rows = []
    for name, s in summaries.items():
        accuracy_ = s["verification"]["accuracy"]
        row = {"model": name, "pairs_accuracy": accuracy_,
               "pairs_accuracy_diff_pt": round(100 * (accuracy_ - base["verification"]["accuracy"]), 3)}
        for g in GALLERIES:
            row[f"{_key(g)}_frr"] = s["held_out"][g]["frr"]
            row[f"{_key(g)}_far"] = s["held_out"][g]["far"]
            row[f"{_key(g)}_frr_diff_pt"] = round(100 * (s["held_out"][g]["frr"] - base["held_out"][g]["frr"]), 3)
        for k in ("frr", "far"):
            row[f"original_{k}"] = s["original_protocol"][k]
            row[f"original_{k}_diff_pt"] = round(100 * (s["original_protocol"][k] - base["original_protocol"][k]), 3)
        row["meets_issue_13"] = (row["pairs_accuracy_diff_pt"] >= -MAX_ACCURACY_DROP_PT
                                 and all(row[f"{_key(g)}_frr_diff_pt"] <= MAX_FRR_RISE_PT for g in GALLERIES))
        rows.append(row)
    return rows


def _header(report: dict) -> list[str]:
    m = report["machine"]
    lines = ["# Quantized embedder (issue 13): FP32 against INT8 / FP16 weights", "",
             f"- command: `{report['command']}`", f"- date: {report['date']}",
             f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, avx512_vnni "
             f"{'yes' if m['avx512_vnni'] else 'no'}, {m['os']}; load average {report['load_average_start']} at the "
             f"start, {report['load_average_end']} at the end",
             f"- {', '.join(f'{k} {v}' for k, v in report['versions'].items())}",
             f"- binary: `{report['binary']}` (sha256 {report['binary_sha256'][:16]}…), repository at "
             f"{report['git_head'][:12]}", "", "## Models", "",
             "| model | FACEMATRIX_EMBEDDER | file | size | sha256 |", "|---|---|---|---|---|"]
    for name, info in report["models"].items():
        lines.append(f"| {name} | {info['embedder']} | `{info['path']}` | {info['bytes'] / 2**20:.2f} MiB | "
                     f"{info['sha256'][:16]}… |")
    return lines


def _latency(report: dict) -> list[str]:
    names = list(report["models"])
    lines = ["", "## (a) Latency of the embedder alone", "",
             f"Median (p90) ms per face of {report['runs']} calls after {WARMUP} untimed ones, the models of one row "
             "called in turn; uniform 0…255 inputs. ×: FP32's median over the model's (> 1 = faster). OpenVINO as "
             "the service compiles it (f32 inference precision, 1 stream, pinning off); ONNX Runtime with the "
             "service's session options.", "",
             "| runtime | batch | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    by_case: dict[tuple, dict] = {}
    for r in report["latency"]:
        by_case.setdefault((r["runtime"], r["batch"]), {})[r["model"]] = r
    for (runtime, batch), row in by_case.items():
        cells = [f"{row[n]['p50_ms_per_face']} ({row[n]['p90_ms_per_face']})"
                 + ("" if n == "fp32" else f" ×{row[n]['fp32_over_model']}") for n in names]
        lines.append(f"| {runtime} | {batch} | " + " | ".join(cells) + " |")
    return lines


def _cosine(report: dict) -> list[str]:
    lines = ["", "## (b) Cosine to the FP32 embeddings", "",
             f"Every face the tooling's MTCNN + alignment finds in the {report['cosine_photos']} labelled LFW photos; "
             "each model against FP32 on the same runtime. First faces: the detection with the highest score in "
             "each photo (usually LFW's subject; the others are mostly smaller faces in the background). "
             f"Calibration photos: the quantizer's default sample ({report['calibration']}).", "",
             "| runtime | model | faces | min | p1 | mean | first faces: min / p1 / mean | calibration photos: "
             "min / mean (faces) | others: min / mean (faces) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in report["cosine"]:
        a, f, c, o = r["all"], r["first_faces"], r["calibration_photos"], r["other_photos"]
        lines.append(f"| {r['runtime']} | {r['model']} | {a['faces']} | {a['min']} | {a['p1']} | {a['mean']} | "
                     f"{f['min']} / {f['p1']} / {f['mean']} | {c['min']} / {c['mean']} ({c['faces']}) | "
                     f"{o['min']} / {o['mean']} ({o['faces']}) |")
    return lines


def _accuracy_cells(r: dict) -> list[str]:
    pct = lambda x: f"{100 * x:.2f}"  # noqa: E731
    base = r["model"] == "fp32"
    diff = lambda d: "" if base else f" ({d:+.2f} pt)"  # noqa: E731
    cells = [f"{pct(r['pairs_accuracy'])} %" + diff(r["pairs_accuracy_diff_pt"])]
    cells += [f"{pct(r[f'{_key(g)}_frr'])} ({pct(r[f'{_key(g)}_far'])})" + diff(r[f"{_key(g)}_frr_diff_pt"])
              for g in GALLERIES]
    cells.append(f"{pct(r['original_frr'])} / {pct(r['original_far'])}"
                 + ("" if base else f" ({r['original_frr_diff_pt']:+.2f} / {r['original_far_diff_pt']:+.2f} pt)"))
    cells.append("—" if base else ("yes" if r["meets_issue_13"] else "**no**"))
    return cells


def _accuracy(report: dict) -> list[str]:
    lines = ["", "## (c) LFW accuracy through `facematrix evaluate` (OpenVINO)", "",
             f"Target FAR {report['target_far']}. FRR (FAR) in %, differences to FP32 in points. Issue 13 keeps a "
             f"model when pairs accuracy drops by ≤ {MAX_ACCURACY_DROP_PT} pt and the held-out FRR rises by "
             f"≤ {MAX_FRR_RISE_PT} pt at each gallery size. Each run embeds every photo anew (fresh cache).", "",
             "| model | pairs accuracy | " + " | ".join(f"FRR {g} (FAR)" for g in GALLERIES)
             + " | original protocol FRR / FAR | meets issue 13 |", "|---|---|" + "---|" * len(GALLERIES) + "---|---|"]
    lines += [f"| {r['model']} | " + " | ".join(_accuracy_cells(r)) + " |" for r in report["accuracy"]]
    return lines


def markdown(report: dict) -> str:
    """The report as bench/results markdown."""
    return "\n".join(_header(report) + _latency(report) + _cosine(report) + _accuracy(report)) + "\n"
