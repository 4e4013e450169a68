"""Figures of a study (`rlvr study`): the aggregate curve per condition with its three fits, and the per-level
curves with their take-off compute.

    plot_study(result, Path("docs/difficulty_study"))   # -> [aggregate.png, levels.png]

Both read only the `results.json` content (`rlvr.analysis.study.study_runs`), so a figure can be redrawn without
the run folders. The base model (compute 0) is drawn as a dashed line: it has no place on a log axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlvr.analysis.families import predict
from rlvr.analysis.plots import _colors, _panel_grid, _plt

__all__ = ["plot_study"]

FAMILY_STYLE = {"loglinear": ("tab:blue", "-"), "sigmoid": ("tab:orange", "--"), "powerlaw": ("tab:green", ":")}


def _trained(points: list[dict]):
    pts = [p for p in points if p["compute"] > 0]
    return (np.array([p["compute"] for p in pts]), np.array([p["acc"] for p in pts]),
            np.array([p["se"] for p in pts]))


def _aggregate_panel(ax, name: str, cond: dict) -> None:
    c, acc, se = _trained(cond["points"])
    ax.errorbar(c, acc, yerr=2 * se, fmt="o", color="black", ms=4, capsize=2,
                label=f"mean of {len(cond['seeds'])} seeds (±2 s.e.)")
    grid = np.geomspace(c.min(), c.max(), 200)
    for family, (color, style) in FAMILY_STYLE.items():
        params = cond["fits"].get(family) or {}
        if "error" in params or not params:
            continue
        mae = cond["backtest_mae"].get(family)
        label = f"{family} (backtest MAE {mae:.3f})" if mae is not None else family
        ax.plot(grid, np.clip(predict(family, params, grid), 0, 1), color=color, ls=style, label=label)
    if cond["base_pass@1"] is not None:
        ax.axhline(cond["base_pass@1"], color="grey", ls="--", lw=0.8, label="base model")
    if cond["loglinear_window"]:
        lo, hi = cond["loglinear_window"]
        ax.axvspan(lo, hi, color="tab:blue", alpha=0.08,
                   label=f"log-linear within noise: {cond['loglinear_decades']:.2f} decades")
    ax.set_xscale("log")
    ax.set_xlabel("RL compute (FLOPs)")
    ax.set_ylabel(f"held-out pass@1 ({cond['benchmark']})")
    ax.set_title(f"{name}: {len(cond['levels']) or 1} level(s), best by backtest: {cond['best']}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left")


def _levels_panel(plt, ax, name: str, cond: dict) -> None:
    levels = cond["levels"]
    colors = _colors(plt, max(len(levels), 1))
    for color, (level, entry) in zip(colors, levels.items(), strict=True):
        pts = entry.get("points") or []
        if pts:
            c, acc, se = _trained(pts)
            ax.errorbar(c, acc, yerr=2 * se, fmt="o-", color=color, ms=3, capsize=2, lw=1,
                        label=f"level {level} (base {entry['base_pass@1']:.3f})")
        if entry.get("C_mid"):
            lo, hi = entry["C_mid_ci95"] or (entry["C_mid"], entry["C_mid"])
            sig = entry["sigmoid"]
            y = sig["R0"] + 0.5 * (sig["A"] - sig["R0"])  # the sigmoid's value at C_mid
            xerr = [[max(entry["C_mid"] - lo, 0.0)], [max(hi - entry["C_mid"], 0.0)]]
            ax.errorbar([entry["C_mid"]], [y], xerr=xerr, fmt="D", color=color, ms=7, capsize=4, mec="black")
    ax.set_xscale("log")
    ax.set_xlabel("RL compute (FLOPs)")
    ax.set_ylabel("held-out pass@1 per level")
    ax.set_title(f"{name}: per level; diamonds = sigmoid C_mid with 95% interval")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left")


def plot_study(result: dict, out_dir: Path) -> list[Path]:
    """Write aggregate.png and levels.png into `out_dir`; returns their paths."""
    plt = _plt()
    out_dir.mkdir(parents=True, exist_ok=True)
    conditions = result["conditions"]
    written = []
    for filename, draw in (("aggregate.png", lambda ax, n, c: _aggregate_panel(ax, n, c)),
                           ("levels.png", lambda ax, n, c: _levels_panel(plt, ax, n, c))):
        fig, axes = _panel_grid(plt, len(conditions), height=5.0, width=6.8)
        for ax, (name, cond) in zip(axes, conditions.items(), strict=True):
            draw(ax, name, cond)
        fig.tight_layout()
        path = out_dir / filename
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
