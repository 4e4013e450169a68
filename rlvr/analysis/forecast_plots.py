"""calibration.png: forecast against measured value (with 95% intervals), and coverage per family and cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_calibration"]

_COLORS = {"loglinear": "tab:blue", "sigmoid": "tab:orange", "powerlaw": "tab:green"}


def plot_calibration(result: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = result["forecasts_forced"] or result["forecasts"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    for fam in sorted({r["method"] for r in recs}):
        rs = [r for r in recs if r["method"] == fam]
        obs = np.array([r["observed"] for r in rs])
        pt = np.array([r["point"] for r in rs])
        lo = np.array([r["interval_raw"][0] for r in rs])
        hi = np.array([r["interval_raw"][1] for r in rs])
        err = [np.maximum(pt - lo, 0), np.maximum(hi - pt, 0)]
        ax.errorbar(obs, pt, yerr=err, fmt="o", ms=4, alpha=0.6, capsize=2, color=_COLORS.get(fam, "grey"),
                    label=f"{fam} ({len(rs)})")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="forecast = measured")
    ax.set_xlabel("measured pass@1 at the target compute")
    ax.set_ylabel("forecast pass@1 (raw 95% interval)")
    ax.set_title(f"{len(recs)} forecasts (each family forced) from {len(result['runs'])} runs", fontsize=10)
    ax.legend(fontsize=8)
    labels, raw, wid = [], [], []
    for name, fig_ in [("all", result["raw"])] + list(result["raw"]["per_family"].items()) \
            + list(result["raw"]["per_cut"].items()):
        labels.append(f"{name}\n(n={fig_['forecasts']})")
        raw.append(fig_["coverage95"])
    wid_table = {"all": result["widened"], **result["widened"]["per_family"], **result["widened"]["per_cut"]}
    wid = [wid_table[lbl.split("\n")[0]]["coverage95"] for lbl in labels]
    x = np.arange(len(labels))
    bx.bar(x - 0.2, raw, 0.4, label="raw intervals")
    bx.bar(x + 0.2, wid, 0.4, label="widened (leave-one-run-out)")
    bx.axhline(0.95, color="k", ls="--", lw=1, label="goal 95%")
    bx.set_xticks(x, labels, fontsize=7)
    bx.set_ylim(0, 1.05)
    bx.set_ylabel("coverage of the 95% intervals")
    bx.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
