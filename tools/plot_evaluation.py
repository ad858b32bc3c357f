"""Draws a `facematrix evaluate` report: the 1:1 DET curve, open-set FAR and FRR against gallery size on the
held-out folds, and the impostor-tail fit with its residuals.

Usage: plot_evaluation.py REPORT.json OUT.svg|OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)


def draw_det(det, verification: dict) -> None:
    """The 1:1 DET curve with the operating point of the 1:1 threshold."""
    # Log axes cannot show zeros: a perfect rate is drawn at the floor, 1e-4.
    points = [(max(far, 1e-4), max(frr, 1e-4)) for far, frr in verification["det"]]
    det.plot([p[0] for p in points], [p[1] for p in points], color="tab:blue")
    at = verification["at_threshold"]
    det.scatter([max(at["far"], 1e-4)], [max(at["frr"], 1e-4)], color="tab:red", zorder=3,
                label=f"1:1 threshold {at['threshold']:.3f}")
    det.set(xscale="log", yscale="log", xlabel="FAR (1:1)", ylabel="FRR (1:1)",
            title=f"1:1 verification, {verification['source']} (AUC {verification['auc']:.4f})")
    det.grid(True, which="both", alpha=0.3)
    det.legend()


def draw_open_set(sizes, rotated_folds: list[dict], target: float) -> None:
    """Open-set FAR (with its 95 % interval) and FRR against gallery size on the held-out folds, and the target."""
    rows = sorted((r for r in rotated_folds if r["test_fold"] == "all"), key=lambda r: r["gallery_size"])
    n = [r["gallery_size"] for r in rows]
    if not rows:
        sizes.text(0.5, 0.5, "no held-out study:\ntoo few people per fold", ha="center", va="center",
                   transform=sizes.transAxes)
        sizes.set(xscale="log", xlim=(1, 10))
    else:
        sizes.plot(n, [r["far"] for r in rows], "o-", color="tab:red", label="FAR (share of strangers)")
        sizes.fill_between(n, [r["far_95"][0] for r in rows], [r["far_95"][1] for r in rows], color="tab:red",
                           alpha=0.15, label="FAR 95 % interval")
        sizes.plot(n, [r["frr"] for r in rows], "s-", color="tab:blue", label="FRR")
    sizes.axhline(target, color="grey", ls="--", label=f"target FAR {target}")
    sizes.axhspan(target / 2, target * 2, color="grey", alpha=0.08, label="0.5×–2× the target")
    sizes.set(xscale="log", xlabel="enrolled people (gallery size)", ylabel="rate",
              title="Open set on held-out folds")
    sizes.grid(True, which="both", alpha=0.3)
    sizes.legend(fontsize=8)


def draw_impostor_tail(tail, fit: dict) -> None:
    """The measured impostor tail, its fit, and the fit's residuals as bars on a second axis."""
    rates = [p["rate"] for p in fit["points"]]
    tail.plot(rates, [p["similarity"] for p in fit["points"]], "o", color="tab:blue", label="measured")
    tail.plot(rates, [p["fitted"] for p in fit["points"]], "-", color="tab:orange",
              label=f"{fit['tail']['location']:.4f} + {fit['tail']['scale']:.4f}·ln(1/r)")
    tail.set(xscale="log", xlabel="rate r (pairs of strangers)", ylabel="similarity reached",
             title="Impostor tail and its fit")
    tail.invert_xaxis()
    tail.tick_params(axis="x", labelrotation=30)
    tail.grid(True, which="both", alpha=0.3)
    tail.legend(fontsize=8)
    residuals = tail.twinx()
    residuals.bar(rates, [p["residual"] for p in fit["points"]], width=[r * 0.15 for r in rates], color="grey",
                  alpha=0.4)
    residuals.set_ylim(-0.05, 0.05)
    residuals.set_ylabel("residual (bars)")


def main(report_path: str, out_path: str) -> None:
    report = json.load(open(report_path))
    figure, (det, sizes, tail) = plt.subplots(1, 3, figsize=(16, 4.8))
    draw_det(det, report["verification"])
    draw_open_set(sizes, report["rotated_folds"], report["target_far"])
    draw_impostor_tail(tail, report["impostor_tail"])
    figure.tight_layout()
    figure.savefig(out_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
