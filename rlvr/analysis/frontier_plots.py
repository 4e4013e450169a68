"""The PNG of `rlvr frontier` (matplotlib, Agg; never torch).

    plot_frontier(frontier, Path("out/frontier.png"))

``frontier.png``: accuracy against total FLOPs (log x), one colour per model size (sequential colour map, by size),
one marker per k, the Pareto frontier as a black staircase (points on it have a black edge); the x label states
the formula and the number of problems served.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_frontier"]

MARKERS = "osD^v<>pPhX*"


def plot_frontier(result: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(9, 6))
    sizes = sorted(result["sizes"], key=lambda s: (s["n_params"] is None, s["n_params"] or 0, s["size"]))
    cmap = plt.get_cmap("viridis")
    colors = {s["size"]: cmap(i / max(1, len(sizes) - 1) * 0.85) for i, s in enumerate(sizes)}
    ks = sorted({p["k"] for p in result["points"]})
    markers = {k: MARKERS[i % len(MARKERS)] for i, k in enumerate(ks)}
    for p in result["points"]:
        ax.scatter(p["total_flops"], p["accuracy"], color=colors[p["size"]], marker=markers[p["k"]], s=30,
                   alpha=0.9 if p["on_frontier"] else 0.45, edgecolor="k" if p["on_frontier"] else "none")
    front = [result["points"][i] for i in result["frontier"]]
    xs = [p["total_flops"] for p in front]
    ys = [p["accuracy"] for p in front]
    if xs:
        xmax = max(p["total_flops"] for p in result["points"])
        ax.step(xs + [xmax], ys + [ys[-1]], where="post", color="k", lw=1.2, label="Pareto frontier")
    ax.set_xscale("log")
    handles = [Line2D([], [], color=colors[s["size"]], marker="o", ls="", label=s["size"]) for s in sizes]
    handles += [Line2D([], [], color="grey", marker=markers[k], ls="", label=f"k={k}") for k in ks]
    handles.append(Line2D([], [], color="k", lw=1.2, label="Pareto frontier"))
    ax.legend(handles=handles, loc="lower right", fontsize=8, ncol=2)
    ax.set(xlabel=f"total FLOPs = pretraining + RL + sampling x {result['problems_served']:g} problems served",
           ylabel=f"{result['benchmark']} {result['metric']}",
           title=f"accuracy against total compute ({result['metric']}, {result['problems_served']:g} problems "
                 "served)\nfilled with a black edge: on the frontier")
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
