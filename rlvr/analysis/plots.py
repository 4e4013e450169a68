"""`rlvr plot`: accuracy against RL compute (one panel per benchmark), training reward against RL compute, and
test-time compute (pass@k and maj@k against k).

    paths = plot_runs([Path("runs/...")], out_dir=Path("runs/..."))

- ``accuracy_vs_compute.png``: one panel per benchmark, compute on a log axis. pass@1 points with 95% binomial
  error bars; pass@k (and maj@k) drawn lighter; subsets (e.g. difficulty levels) as thin lines; the base model
  (compute 0, which a log axis cannot show) as a dotted horizontal line. With one group of runs the fitted families
  are drawn (solid over the measured range, dashed where they extrapolate, up to 10x the largest compute; shaded:
  the 95% bootstrap band of the log-linear fit) and each panel's verdict is printed under it.
- ``reward_vs_compute.png``: the training reward (faint per step, solid moving average).
- ``test_time.png`` (runs with test_time.jsonl): one panel per benchmark, pass@k (solid) and maj@k (dashed)
  against k on a log axis, one colour per checkpoint (base model grey): whether RL narrowed or widened coverage.

Runs that differ only in seed form one group (``seed 0-2`` in the legend). Groups that differ in other keys are
overlaid, labelled only by what differs (``1.06M params`` for model sizes, else ``key=value``), sorted by that
numeric value and coloured with a sequential colour map. Legends sit inside the axes so the plot area stays at
least two thirds of the figure.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from rlvr.runfolder.folder import EVALS, FIT, METRICS, SUMMARY, TEST_TIME, RunFolder

__all__ = ["plot_runs", "group_labels"]

FAMILY_COLOR = {"loglinear": "#1f77b4", "sigmoid": "#d62728", "powerlaw": "#2ca02c"}
FAMILY_STYLE = {"loglinear": ("log-linear", "-"), "sigmoid": ("sigmoid", "-."),
                "powerlaw": ("power law in error", (0, (6, 2, 1, 2, 1, 2)))}
_IGNORED = ("seed", "output_dir", "run_dir", "cache_dir")
_SIZE_KEYS = ("hidden_size", "num_layers", "num_heads", "intermediate_size", "model_name_or_path")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _seeds(runs: list[Path]) -> str:
    from rlvr.analysis.fit import _config

    seeds = sorted({_config(r).get("seed", 0) for r in runs})
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seed {seeds[0]}-{seeds[-1]}"
    return "seeds " + ",".join(map(str, seeds))


def _params(run: Path) -> float | None:
    summary = RunFolder(run).read_json(SUMMARY) or {}
    value = summary.get("n_params_flops")
    return float(value) if isinstance(value, (int, float)) else None


def _human(n: float) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:g}"


def group_labels(groups: list[list[Path]]) -> tuple[list[list[Path]], list[str], str]:
    """(groups sorted by their numeric value, a label per group naming only what differs, a title part naming
    what they share)."""
    from rlvr.analysis.fit import _config

    configs = [_config(g[0]) for g in groups]
    name = configs[0].get("experiment", groups[0][0].name) if configs else ""
    if len(groups) == 1:
        return groups, [_seeds(groups[0])], name
    keys = sorted(k for k in configs[0] if k not in _IGNORED and len({repr(c.get(k)) for c in configs}) > 1)
    params = [_params(g[0]) for g in groups]
    by_size = any(k in _SIZE_KEYS for k in keys) and all(p is not None for p in params)

    def value(i: int):
        if by_size:
            return params[i]
        v = configs[i].get(keys[0]) if keys else i
        return v if isinstance(v, (int, float)) else str(v)

    order = sorted(range(len(groups)), key=lambda i: (isinstance(value(i), str), value(i)))
    labels = []
    for i in order:
        if by_size:
            what = f"{_human(params[i])} params"
        else:
            what = ", ".join(f"{k}={configs[i].get(k)}" for k in keys[:2]) or groups[i][0].name
        seeds = _seeds(groups[i])
        labels.append(what if len(groups[i]) == 1 and seeds == "seed 0" else f"{what} ({seeds})")
    return [groups[i] for i in order], labels, name


def _colors(plt, n: int) -> list:
    if n == 1:
        return ["black"]
    cmap = plt.get_cmap("viridis")
    return [cmap(0.05 + 0.8 * i / max(n - 1, 1)) for i in range(n)]


def _panel_grid(plt, n: int, height: float = 6.0, width: float = 6.4):
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), dpi=110, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _rows(runs, bench: str) -> list[dict]:
    from rlvr.runfolder.jsonl import latest_per_key

    out = []
    for run in runs:
        out += [r for r in latest_per_key(RunFolder(run).read(EVALS), ("step", "benchmark"))
                if str(r.get("benchmark")) == bench and r.get("compute_flops")]
    return out


def _per_k(rows: list[dict], key: str) -> dict[str, tuple[list, list]]:
    """{k: (compute, value)} of `key` (pass@k or maj@k) over `rows`, k = 1 excluded for pass@k."""
    out: dict[str, tuple[list, list]] = {}
    for row in rows:
        for k, value in (row.get(key) or {}).items():
            if isinstance(value, (int, float)) and not (key == "pass@k" and str(k) == "1"):
                xs, ys = out.setdefault(str(k), ([], []))
                xs.append(row["compute_flops"])
                ys.append(value)
    return out


def _sorted_xy(xs, ys):
    order = np.argsort(xs)
    return np.asarray(xs)[order], np.asarray(ys)[order]


def _accuracy_panel(ax, groups, labels, colors, bench: str, fits: list[dict], show_families: bool) -> str:
    """Draw one benchmark; return its verdict text (one group) or ''."""
    from rlvr.analysis.bootstrap import bootstrap
    from rlvr.analysis.families import predict
    from rlvr.analysis.fit import load_points, load_subset_points

    single = len(groups) == 1
    verdict = ""
    for runs, label, color, fit in zip(groups, labels, colors, fits, strict=True):
        p = load_points(runs).get(bench)
        if p is None:
            continue
        who = "" if single else f"{label}: "
        m = p.trained
        err = 1.96 * np.sqrt(np.clip(p.acc * (1 - p.acc), 1e-12, None) / np.maximum(p.n, 1))
        ax.errorbar(p.compute[m], p.acc[m], yerr=err[m], fmt="o", color=color, ms=4.5, capsize=2, lw=1,
                    label=f"{who}pass@1", zorder=3)
        rows = _rows(runs, bench)
        for key, marker in (("pass@k", "^"), ("maj@k", "s")):
            for k, (xs, ys) in _per_k(rows, key).items():
                xs, ys = _sorted_xy(xs, ys)
                ax.plot(xs, ys, marker=marker, ls=":", lw=0.8, mfc="none", color=color, ms=4, alpha=0.4,
                        label=f"{key.replace('k', k)}" if single else None)
        subsets = load_subset_points(runs).get(bench, {})
        shades = _plt().get_cmap("copper")
        for si, (value, sp) in enumerate(sorted(subsets.items())):
            xs, ys = _sorted_xy(sp.compute[sp.trained], sp.acc[sp.trained])
            ax.plot(xs, ys, lw=0.8, alpha=0.7, color=shades(0.15 + 0.7 * si / max(len(subsets) - 1, 1)),
                    label=f"{who}subset {value}" if single or si == 0 else None)
        if (~m).any():
            base = p.acc[~m].mean()
            ax.axhline(base, color=color if not single else "gray", ls=(0, (1, 2)), lw=1.1,
                       label=f"{who}base model {base:.2f}")
        entry = (fit or {}).get("benchmarks", {}).get(bench)
        if not entry or "error" in entry:
            if single and entry:
                verdict = f"No fit: {entry['error']}"
            continue
        xmin, xmax = p.compute[m].min(), p.compute[m].max()
        inside = np.logspace(np.log10(xmin), np.log10(xmax), 100)
        beyond = np.logspace(np.log10(xmax), np.log10(xmax) + 1, 40)
        for family in ("loglinear", "sigmoid", "powerlaw") if show_families else ("loglinear",):
            params = entry.get(family, {})
            if "error" in params or not params:
                continue
            name, style = FAMILY_STYLE[family]
            fam_color = FAMILY_COLOR[family] if show_families else color
            best = " (best)" if entry.get("best") == family and show_families else ""
            ax.plot(inside, np.clip(predict(family, params, inside), 0, 1), ls=style, color=fam_color, lw=1.5,
                    alpha=0.9, label=f"{name}{best}" if show_families else None)
            lo, hi = params.get("A_ci95") or (params.get("A", 0.0),) * 2
            if family == "sigmoid" and (hi - lo > 0.5 or not lo <= params["A"] <= hi):
                continue  # the data do not pin the ceiling down: an extrapolated sigmoid would be a guess
            ax.plot(beyond, np.clip(predict(family, params, beyond), 0, 1), "--", color=fam_color, lw=0.9,
                    alpha=0.5)
        draws = bootstrap(p, "loglinear", 200, np.random.default_rng(0))
        if draws and single:
            xs = np.concatenate([inside, beyond])
            curves = np.array([predict("loglinear", d, xs) for d in draws])
            lo, hi = np.percentile(curves, [2.5, 97.5], axis=0)
            ax.fill_between(xs, np.clip(lo, 0, 1), np.clip(hi, 0, 1), alpha=0.12, lw=0,
                            color=FAMILY_COLOR["loglinear"] if show_families else color, label="log-linear 95%")
        if single:
            verdict = entry.get("verdict", "")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("RL compute (FLOPs, log scale)")
    ax.set_ylabel("accuracy")
    ax.set_title(bench, fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=7, loc="best", ncol=2, framealpha=0.85)
    return verdict


def _accuracy_figure(groups, labels, name, benches, fits, out: Path, show_families: bool) -> Path:
    plt = _plt()
    fig, axes = _panel_grid(plt, len(benches))
    colors = _colors(plt, len(groups))
    verdicts = [_accuracy_panel(ax, groups, labels, colors, bench, fits, show_families)
                for ax, bench in zip(axes, benches, strict=True)]
    title = f"{name}: accuracy vs RL compute" + ("" if len(groups) > 1 else f" ({labels[0]})")
    title = "\n".join(textwrap.wrap(title + "; dashed: extrapolation; light: pass@k / maj@k", 95))
    fig.suptitle(title, fontsize=10)
    width = 100  # characters of 7-pt text that fit under one 6.4-inch panel; wider text would squeeze the axes
    for ax, v in zip(axes, verdicts, strict=True):
        if v:  # under the x label; tight_layout makes room for it
            ax.annotate("\n".join(textwrap.wrap(v, width)), xy=(0, 0), xycoords="axes fraction", xytext=(0, -36),
                        textcoords="offset points", va="top", fontsize=7, color="#333333")
    fig.tight_layout(rect=(0, 0, 1, 0.97 if "\n" not in title else 0.94))
    fig.savefig(out, bbox_inches="tight")  # never clip the title or the verdict
    plt.close(fig)
    return out


def _reward_figure(groups, labels, out: Path) -> Path | None:
    from rlvr.runfolder.jsonl import latest_per_key

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    colors = _colors(plt, len(groups))
    drawn = False
    for runs, label, color in zip(groups, labels, colors, strict=True):
        for ri, run in enumerate(runs):
            rows = [r for r in latest_per_key(r for r in RunFolder(run).read(METRICS) if "event" not in r)
                    if isinstance(r.get("compute/flops"), (int, float)) and isinstance(r.get("reward"), (int, float))]
            if not rows:
                continue
            x = np.array([r["compute/flops"] for r in rows])
            y = np.array([r["reward"] for r in rows])
            k = max(1, len(y) // 30)  # moving average over ~3% of the run
            smooth = np.convolve(y, np.ones(k) / k, mode="valid")
            ax.plot(x, y, color=color, alpha=0.12, lw=0.7)
            ax.plot(x[k - 1:], smooth, color=color, lw=1.5, label=label if ri == 0 else None)
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xscale("log")
    ax.set_xlabel("RL compute (FLOPs, log scale)")
    ax.set_ylabel("mean training reward")
    ax.set_title("Training reward vs RL compute (faint: per step; solid: moving average)", fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def load_test_time(run_dirs: list[Path]) -> dict[str, dict[tuple[int, str], dict[int, dict]]]:
    """{benchmark: {(step, checkpoint label): {k: row}}} from test_time.jsonl (the last row of a key wins)."""
    out: dict = {}
    for run in run_dirs:
        for row in RunFolder(run).read(TEST_TIME):
            try:
                key = (int(row["step"]), str(row["checkpoint"]))
                out.setdefault(str(row["benchmark"]), {}).setdefault(key, {})[int(row["k"])] = row
            except (KeyError, TypeError, ValueError):
                continue
    return out


def _test_time_figure(run_dirs: list[Path], out: Path) -> Path | None:
    data = load_test_time(run_dirs)
    if not data:
        return None
    plt = _plt()
    benches = sorted(data)
    fig, axes = _panel_grid(plt, len(benches), height=4.4)
    for ax, bench in zip(axes, benches, strict=True):
        points = sorted(data[bench])
        trained = [p for p in points if p[0] > 0]
        cmap = plt.get_cmap("viridis")
        for key in points:
            step, label = key
            color = "gray" if step == 0 else cmap(0.15 + 0.7 * (trained.index(key) / max(len(trained) - 1, 1)))
            name = "base model" if step == 0 else f"{label} (step {step})" if label != str(step) else f"step {step}"
            rows = data[bench][key]
            ks = sorted(rows)
            ax.plot(ks, [rows[k]["pass@k"] for k in ks], "-o", color=color, ms=3.5, lw=1.6, label=f"{name}: pass@k")
            maj = [rows[k].get("maj@k") for k in ks]
            if all(isinstance(v, (int, float)) for v in maj):
                ax.plot(ks, maj, "--s", color=color, ms=3, lw=1.0, alpha=0.6, label=f"{name}: maj@k")
        ax.set_xscale("log", base=2)
        all_k = sorted({k for rows in data[bench].values() for k in rows})
        ax.set_xticks(all_k, [str(k) for k in all_k])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("k (samples per problem; log scale)")
        ax.set_ylabel("pass@k (solid), maj@k (dashed)")
        ax.set_title(bench, fontsize=10)
        ax.grid(True, which="major", alpha=0.25)
        ax.legend(fontsize=7, loc="best", framealpha=0.85)
    # two lines: one panel is 6.4 in wide, too narrow for the title on one line
    fig.suptitle("Test-time compute: base model vs RL checkpoints\n(base ahead at large k = RL narrowed coverage)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_runs(run_dirs: list[Path], out_dir: Path, families: bool = True) -> list[Path]:
    """Write the PNGs for `run_dirs` into `out_dir`; returns their paths."""
    from rlvr.analysis.fit import group_runs, load_points

    groups, labels, name = group_labels(group_runs(run_dirs))
    fits = [RunFolder(runs[0]).read_json(FIT) for runs in groups]
    points = [load_points(runs) for runs in groups]
    benches = sorted({b for per in points for b in per})
    if not any(p.trained.any() for per in points for p in per.values()):
        from rlvr.errors import UserError

        raise UserError(f"nothing to plot in {', '.join(str(r) for r in run_dirs)}: only the base model was "
                        "evaluated (no evaluation after an RL step yet); train first, e.g. rlvr train CONFIG")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_accuracy_figure(groups, labels, name, benches, fits, out_dir / "accuracy_vs_compute.png",
                                families and len(groups) == 1)]
    for path in (_reward_figure(groups, labels, out_dir / "reward_vs_compute.png"),
                 _test_time_figure(run_dirs, out_dir / "test_time.png")):
        if path:
            written.append(path)
    return written
