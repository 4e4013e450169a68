"""`rlvr plot`: accuracy against RL compute (log axis) with error bars, fitted families and their bands, and the
training reward against RL compute.

    paths = plot_runs([Path("runs/...")], out_dir=Path("runs/..."))

One PNG per benchmark (``accuracy_vs_compute[_<benchmark>].png``) and one ``reward_vs_compute.png``. Runs that
differ only in seed share a colour (one group); groups that differ in other keys (model size, learning rate...)
are overlaid and labelled by those keys. The base model (compute 0) cannot sit on a log axis: it is drawn as a
dotted horizontal line labelled "base model". Error bars are 95% binomial intervals over the n held-out problems.
Fitted curves are solid over the measured range and dashed where they extrapolate (up to 10x the largest
compute); the shaded band is the 95% bootstrap band of the log-linear fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rlvr.runfolder import EVALS, FIT, METRICS, RunFolder

__all__ = ["plot_runs"]

FAMILY_COLOR = {"loglinear": "#1f77b4", "sigmoid": "#d62728", "powerlaw": "#2ca02c"}
FAMILY_STYLE = {"loglinear": ("log-linear", "-"), "sigmoid": ("sigmoid", "-."),
                "powerlaw": ("power law in error", (0, (6, 2, 1, 2, 1, 2)))}


def _label(runs: list[Path], all_groups: list[list[Path]]) -> str:
    from rlvr.analysis.fit import _config

    if len(all_groups) == 1:
        cfg = _config(runs[0])
        name = cfg.get("experiment", runs[0].name)
    else:
        configs = [_config(g[0]) for g in all_groups]
        keys = sorted(k for k in configs[0] if k not in ("seed", "output_dir", "run_dir", "cache_dir")
                      and len({repr(c.get(k)) for c in configs}) > 1)
        mine = _config(runs[0])
        name = ", ".join(f"{k}={mine.get(k)}" for k in keys[:3]) or runs[0].name
    seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
    return name + seeds


def _accuracy_figure(groups, bench: str, fits: list[dict], out: Path, show_families: bool) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlvr.analysis.bootstrap import bootstrap
    from rlvr.analysis.families import predict
    from rlvr.analysis.fit import load_points

    fig, ax = plt.subplots(figsize=(12, 5.5), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    xmax_all = 0.0
    for gi, (runs, fit) in enumerate(zip(groups, fits, strict=True)):
        color = "black" if show_families else colors[gi % len(colors)]  # one group: family colours for the fits
        p = load_points(runs).get(bench)
        if p is None:
            continue
        label = _label(runs, groups)
        m = p.trained
        err = 1.96 * np.sqrt(np.clip(p.acc * (1 - p.acc), 1e-12, None) / np.maximum(p.n, 1))
        ax.errorbar(p.compute[m], p.acc[m], yerr=err[m], fmt="o", color=color, ms=5, capsize=2.5,
                    label=f"{label}: pass@1")
        for k, (xs, ys) in _pass_at_k(runs, bench).items():
            ax.plot(xs, ys, "^", mfc="none", color=color, ms=5, alpha=0.7, label=f"{label}: pass@{k}")
        if (~m).any():
            ax.axhline(p.acc[~m].mean(), color=color if len(groups) > 1 else "gray", ls=(0, (1, 2)), lw=1.2,
                       label=f"{label}: base model pass@1 (before RL) {p.acc[~m].mean():.2f}")
        xmin, xmax = p.compute[m].min(), p.compute[m].max()
        xmax_all = max(xmax_all, xmax)
        entry = (fit or {}).get("benchmarks", {}).get(bench)
        if not entry:
            continue
        inside = np.logspace(np.log10(xmin), np.log10(xmax), 100)
        beyond = np.logspace(np.log10(xmax), np.log10(xmax) + 1, 40)
        families = ("loglinear", "sigmoid", "powerlaw") if show_families else ("loglinear",)
        for family in families:
            params = entry.get(family, {})
            if "error" in params or not params:
                continue
            name, style = FAMILY_STYLE[family]
            best = " (best backtest)" if entry.get("best") == family else ""
            # one group: a colour per family, so the three curves are told apart; several: a colour per group
            fam_color = FAMILY_COLOR[family] if show_families else color
            ax.plot(inside, np.clip(predict(family, params, inside), 0, 1), ls=style, color=fam_color, lw=1.6,
                    alpha=0.9, label=f"{label}: {name} fit{best}")
            ax.plot(beyond, np.clip(predict(family, params, beyond), 0, 1), "--", color=fam_color, lw=1.0,
                    alpha=0.6)
        draws = bootstrap(p, "loglinear", 200, np.random.default_rng(0))
        if draws:
            xs = np.concatenate([inside, beyond])
            curves = np.array([predict("loglinear", d, xs) for d in draws])
            lo, hi = np.percentile(curves, [2.5, 97.5], axis=0)
            ax.fill_between(xs, np.clip(lo, 0, 1), np.clip(hi, 0, 1), alpha=0.12, lw=0,
                            color=FAMILY_COLOR["loglinear"] if show_families else color,
                            label=f"{label}: log-linear 95% band")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("RL compute (FLOPs, cumulative; log scale)")
    ax.set_ylabel("held-out accuracy (pass@1; triangles: pass@k)")
    ax.set_title(f"Held-out accuracy vs RL compute: {bench}\n"
                 "points: evaluations (95% binomial error bars); lines: fits (dashed = extrapolation)", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # never over the data
    if len(groups) == 1 and fits[0] and bench in fits[0].get("benchmarks", {}):
        verdict = fits[0]["benchmarks"][bench].get("verdict", "")
        fig.text(0.01, 0.005, _wrap(verdict, 150), fontsize=7.5, va="bottom", color="#333333")
        fig.subplots_adjust(bottom=0.2)
    fig.tight_layout(rect=(0, 0.07 if len(groups) == 1 else 0, 1, 1))
    fig.savefig(out)
    plt.close(fig)
    return out


def _pass_at_k(runs, bench: str) -> dict[str, tuple[list, list]]:
    """{k: (compute, pass@k)} over the trained evaluation points of `runs`."""
    from rlvr.jsonl import latest_per_key

    out: dict[str, tuple[list, list]] = {}
    for run in runs:
        for row in latest_per_key(RunFolder(run).read(EVALS), ("step", "benchmark")):
            if str(row.get("benchmark")) != bench or not row.get("compute_flops"):
                continue
            for k, value in (row.get("pass@k") or {}).items():
                if isinstance(value, (int, float)) and str(k) != "1":
                    xs, ys = out.setdefault(str(k), ([], []))
                    xs.append(row["compute_flops"])
                    ys.append(value)
    return out


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _reward_figure(groups, out: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlvr.jsonl import latest_per_key

    fig, ax = plt.subplots(figsize=(8.5, 4.5), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    drawn = False
    for gi, runs in enumerate(groups):
        for ri, run in enumerate(runs):
            rows = [r for r in latest_per_key(r for r in RunFolder(run).read(METRICS) if "event" not in r)
                    if isinstance(r.get("compute/flops"), (int, float)) and isinstance(r.get("reward"), (int, float))]
            if not rows:
                continue
            x = np.array([r["compute/flops"] for r in rows])
            y = np.array([r["reward"] for r in rows])
            k = max(1, len(y) // 30)  # moving average over ~3% of the run
            smooth = np.convolve(y, np.ones(k) / k, mode="valid")
            color = colors[gi % len(colors)]
            ax.plot(x, y, color=color, alpha=0.15, lw=0.8)
            ax.plot(x[k - 1:], smooth, color=color, lw=1.6, label=_label(runs, groups) if ri == 0 else None)
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xscale("log")
    ax.set_xlabel("RL compute (FLOPs, cumulative; log scale)")
    ax.set_ylabel("mean training reward (verifier, 0/1)")
    ax.set_title("Training reward vs RL compute (faint: per step; solid: moving average)", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_runs(run_dirs: list[Path], out_dir: Path, families: bool = True) -> list[Path]:
    """Write the PNGs for `run_dirs` into `out_dir`; returns their paths."""

    from rlvr.analysis.fit import group_runs, load_points

    groups = group_runs(run_dirs)
    fits = []
    for runs in groups:
        fits.append(RunFolder(runs[0]).read_json(FIT))
    benches = sorted({b for runs in groups for b in load_points(runs)})
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for bench in benches:
        name = "accuracy_vs_compute.png" if len(benches) == 1 else f"accuracy_vs_compute_{bench}.png"
        written.append(_accuracy_figure(groups, bench, fits, out_dir / name, families and len(groups) == 1))
    reward = _reward_figure(groups, out_dir / "reward_vs_compute.png")
    if reward:
        written.append(reward)
    return written
