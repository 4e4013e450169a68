"""`rlvr frontier`: one budget, three scaling axes. Every (model size, RL compute, k) point on one axis of total FLOPs,
accuracy against it, the Pareto frontier, and which split wins at each budget.

    result = frontier_runs(expand_runs(["runs/size_ladder/"]), problems_served=10_000, metric="pass@k")

Total FLOPs of a point = pretraining FLOPs of its base model + RL FLOPs of its checkpoint + sampling FLOPs per
problem at its k x the number of problems served (``--problems-served``, default 10,000: the problems a model is
used on after training; with the tiny models of this project, k = 64 on 10^4 problems costs about as much as
pretraining their base model, so all three axes compete. Real deployments serve far more; vary the flag).

Points, per group of runs (seeds pooled as `rlvr fit` pools them; each point is the mean over the group's runs
that have it, and lists their runs and steps):
- ``test_time.jsonl`` rows (`rlvr eval --samples`): each checkpoint's pass@k / maj@k at every k;
- ``evals.jsonl`` rows (the RL curve): pass@1 (k = 1) and the pass@k / maj@k of ``eval_k`` at every evaluation.
  Where both files have a (step, k), the test-time row wins (more samples per problem).
Sampling FLOPs per problem: the row's ``sampling_flops_per_problem``; else (older rows)
``eval_flops / n / samples_per_problem * k`` (``sampling_source`` says which). Pretraining FLOPs: the row's
``pretrain_flops``, else summary.json's; absent in both is an error naming the run and the fix. Model size:
summary.json's ``n_params_flops``, else the model keys of config.yaml.

The frontier: the points, by total FLOPs, that are more accurate than every cheaper point. Between one frontier
point's total and the next one's, that point is the best split of the budget (``segments``); its ``dominant_axis``
is the part with the largest share of its total, and ``spent_on`` the part that grew most from the previous
frontier point. ``axis_ranges`` merges neighbouring segments with the same dominant axis; ``budgets`` evaluates the
frontier at log-spaced budgets (``bins_per_decade``), with the best accuracy each model size reaches there.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from rlvr.errors import UserError
from rlvr.runfolder.folder import CONFIG, EVALS, SUMMARY, TEST_TIME

# Run-folder I/O: the only two lines to re-point when these modules move.
from rlvr.runfolder.jsonl import latest_per_key, read_jsonl, write_json_atomic

__all__ = ["frontier_runs", "pareto", "expand_runs", "write_json", "flops", "AXES", "PROBLEMS_SERVED", "METRICS"]

AXES = ("pretraining", "rl", "sampling")
PROBLEMS_SERVED = 10_000
METRICS = ("pass@k", "maj@k")
_MODEL_KEYS = ("model_name_or_path", "hidden_size", "num_layers", "num_heads", "intermediate_size")
_TASK_KEYS = ("task", "task_options", "dataset_path", "dataset_config")


def flops(x: float) -> str:
    return f"{x:.1e}".replace("e+", "e")


def write_json(path: Path, obj: dict) -> Path:
    write_json_atomic(path, obj)
    return path


def _rows(run: Path, name: str) -> list[dict]:
    """Rows of one JSONL file (the last attempt per key wins); a damaged line is a one-line error."""
    try:
        rows = read_jsonl(Path(run) / name)
    except ValueError as err:
        raise UserError(f"{err}: fix or delete that line (run {run})") from None
    if any(not isinstance(r, dict) for r in rows):
        raise UserError(f"{run}/{name}: a line is JSON but not an object; fix or delete it")
    key = ("step", "benchmark") if name == EVALS else ("checkpoint", "step", "benchmark", "k")
    return latest_per_key(rows, key)


def _summary(run: Path) -> dict:
    path = Path(run) / SUMMARY
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{path} is not JSON; restore it from the run or delete it (run {run})") from None
    return data if isinstance(data, dict) else {}


def expand_runs(paths) -> list[Path]:
    """Run folders from the arguments: a folder holding evals.jsonl is a run; else its children that hold one."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise UserError(f"run folder {str(p)!r} does not exist; pass run folders (runs/...) or their parent")
        if (p / EVALS).is_file():
            out.append(p)
        elif p.is_dir() and any((c / EVALS).is_file() for c in p.iterdir()):
            out.extend(sorted(c for c in p.iterdir() if (c / EVALS).is_file()))
        else:
            raise UserError(f"{str(p)!r} holds no {EVALS} and no run folder with one: pass the run folders of "
                            "the sweep (rlvr train writes evals.jsonl, rlvr eval --samples test_time.jsonl)")
    return out


def _groups(runs: list[Path]) -> list[list[Path]]:
    """Seeds of one config are one group (`rlvr.analysis.fit.group_runs`); config-less folders are their own."""
    from rlvr.analysis.fit import group_runs

    with_config = [r for r in runs if (r / CONFIG).is_file()]
    return (group_runs(with_config) if with_config else []) + [[r] for r in runs if not (r / CONFIG).is_file()]


def _fix(run) -> str:
    return (f"{run}: no pretrain_flops in summary.json or its evals/test_time rows (older rlvr); re-run "
            f"`rlvr eval {run} --at base,final --samples 64` with this version to record it")


def _size(run: Path, summary: dict, cfg: dict) -> tuple[str, float | None]:
    n = summary.get("n_params_flops")
    if isinstance(n, (int, float)) and n > 0:
        for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
            if n >= scale:
                return f"{n / scale:.3g}{unit} params", float(n)
        return f"{n:g} params", float(n)
    keys = [f"{k}={cfg[k]}" for k in _MODEL_KEYS if cfg.get(k) is not None]
    if not keys:
        raise UserError(f"{run}: model size unknown (no n_params_flops in summary.json, no model keys in "
                        "config.yaml); pass the run folder itself, which has both")
    return ", ".join(keys), None


def _run_points(run: Path, bench: str, metric: str) -> list[dict]:
    """Per-run points {source, step, k, acc, rl, pretrain, sampling_pp, sampling_source} of one benchmark."""
    summary = _summary(run)
    out: dict[tuple, dict] = {}

    def add(source, row, k, acc, recorded=None):
        if acc is None:
            return
        try:
            rl, k = float(row["compute_flops"]), int(k)
            if recorded is not None:
                spp, how = float(recorded), "recorded"
            else:
                spp = float(row["eval_flops"]) / float(row["n"]) / float(row["samples_per_problem"]) * k
                how = "eval_flops / n / samples_per_problem * k"
            pre = row.get("pretrain_flops", summary.get("pretrain_flops"))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise UserError(f"{run}: a {source} row of step {row.get('step')} [{bench}] lacks numeric compute_flops, "
                            "eval_flops, n or samples_per_problem; fix or delete that line") from None
        if not isinstance(pre, (int, float)):
            raise UserError(_fix(run))
        key = (int(row.get("step", -1)), k)
        if source == "evals" and key in out:
            return  # the test-time row of the same checkpoint and k wins
        out[key] = {"source": source, "step": key[0], "k": k, "acc": float(acc), "rl": rl, "pretrain": float(pre),
                    "sampling_pp": spp, "sampling_source": how, "checkpoint": row.get("checkpoint")}

    for row in _rows(run, TEST_TIME):
        if str(row.get("benchmark", "heldout")) == bench:
            add("test_time", row, row.get("k"), row.get(metric), row.get("sampling_flops_per_problem"))
    for row in _rows(run, EVALS):
        if str(row.get("benchmark", "heldout")) != bench:
            continue
        add("evals", row, 1, row.get("pass@1"))
        for k, acc in (row.get(metric) or {}).items():
            add("evals", row, k, acc)
    if not out:
        raise UserError(f"{run}: no evaluation of benchmark {bench!r}; pick one it has (--benchmark) or leave it out")
    return list(out.values())


def _check_same_task(groups: list[list[Path]]) -> None:
    from rlvr.analysis.fit import _config

    tasks = [(g[0], {k: _config(g[0]).get(k) for k in _TASK_KEYS}) for g in groups]
    for run, task in tasks[1:]:
        if task != tasks[0][1]:
            differ = ", ".join(k for k in _TASK_KEYS if task[k] != tasks[0][1][k])
            raise UserError(f"runs {tasks[0][0]} and {run} are different tasks ({differ} differ); a frontier compares "
                            "model sizes on one task: pass runs of one task only")


def _benchmark(groups, bench: str | None) -> str:
    per = {g[0]: [str(r.get("benchmark", "heldout")) for r in _rows(g[0], EVALS)] for g in groups}
    if bench is None:
        first = next(iter(per.values()))
        if not first:
            raise UserError(f"{groups[0][0]} has no evaluations; train it first (rlvr train)")
        bench = first[0]
    for run, names in per.items():
        if bench not in names:
            raise UserError(f"run {run} has no benchmark {bench!r} (it has {sorted(set(names))}); runs of different "
                            "tasks or benchmarks cannot share a frontier: pass runs with the same benchmark "
                            "(or --benchmark)")
    return bench


def pareto(total, acc) -> list[int]:
    """Indices of the points more accurate than every cheaper one, by total FLOPs."""
    order = sorted(range(len(total)), key=lambda i: (total[i], -acc[i]))
    best, out = -math.inf, []
    for i in order:
        if acc[i] > best:
            out.append(i)
            best = acc[i]
    return out


def _group_points(group, label, n_params, bench, metric, served) -> list[dict]:
    per: dict[tuple, list] = defaultdict(list)
    for run in group:
        pts = _run_points(run, bench, metric)
        for source in ("test_time", "evals"):
            steps = sorted({p["step"] for p in pts if p["source"] == source})
            for p in pts:
                if p["source"] == source:
                    per[(source, steps.index(p["step"]), p["k"])].append((str(run), p))
    out = []
    for (source, _, k), items in sorted(per.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        ps = [p for _, p in items]
        mean = {key: float(np.mean([p[key] for p in ps])) for key in ("acc", "rl", "pretrain", "sampling_pp")}
        parts = {"pretraining": mean["pretrain"], "rl": mean["rl"], "sampling": mean["sampling_pp"] * served}
        total = sum(parts.values())
        out.append({"size": label, "n_params": n_params, "source": source, "k": k, "accuracy": mean["acc"],
                    "runs": [r for r, _ in items], "steps": [p["step"] for p in ps],
                    "checkpoint": ps[0]["checkpoint"], "pretrain_flops": parts["pretraining"],
                    "rl_flops": parts["rl"], "sampling_flops_per_problem": mean["sampling_pp"],
                    "sampling_flops": parts["sampling"], "sampling_source": sorted({p["sampling_source"] for p in ps}),
                    "total_flops": total, "shares": {a: v / total for a, v in parts.items()},
                    "dominant_axis": max(parts, key=parts.get)})
    return out


def frontier_runs(runs: list[Path], problems_served: float = PROBLEMS_SERVED, metric: str = "pass@k",
                  benchmark: str | None = None, bins_per_decade: int = 4) -> dict:
    """frontier.json content (see module doc)."""
    from rlvr.analysis.fit import _config

    if metric not in METRICS:
        raise UserError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if not (problems_served > 0 and math.isfinite(problems_served)):
        raise UserError(f"--problems-served must be a number > 0, got {problems_served}")
    groups = _groups(runs)
    _check_same_task(groups)
    bench = _benchmark(groups, benchmark)
    points, sizes = [], []
    for group in groups:
        label, n_params = _size(group[0], _summary(group[0]), _config(group[0]))
        sizes.append({"size": label, "n_params": n_params, "runs": [str(r) for r in group]})
        points += _group_points(group, label, n_params, bench, metric, problems_served)
    for i, p in enumerate(points):
        p["id"] = i
    total = [p["total_flops"] for p in points]
    front = pareto(total, [p["accuracy"] for p in points])
    segments, prev = [], None
    for j, i in enumerate(front):
        p = points[i]
        p["on_frontier"] = True
        grew = {a: p[f] - (prev[f] if prev else 0.0) for a, f in
                zip(AXES, ("pretrain_flops", "rl_flops", "sampling_flops"), strict=True)}
        segments.append({"from_flops": p["total_flops"],
                         "to_flops": points[front[j + 1]]["total_flops"] if j + 1 < len(front) else None,
                         "point": i, "size": p["size"], "rl_flops": p["rl_flops"], "k": p["k"],
                         "accuracy": p["accuracy"], "dominant_axis": p["dominant_axis"],
                         "spent_on": max(grew, key=grew.get) if prev else None})
        prev = p
    for p in points:
        p.setdefault("on_frontier", False)
    sizes.sort(key=lambda s: (s["n_params"] is None, s["n_params"] or 0, s["size"]))
    ranges = []
    for s in segments:
        if ranges and ranges[-1]["axis"] == s["dominant_axis"]:
            ranges[-1]["to_flops"] = s["to_flops"]
        else:
            ranges.append({"axis": s["dominant_axis"], "from_flops": s["from_flops"], "to_flops": s["to_flops"]})
    lo, hi = math.log10(min(total)), math.log10(max(total))
    edges = 10 ** (np.arange(math.floor(lo * bins_per_decade), math.ceil(hi * bins_per_decade) + 1)
                   / bins_per_decade)
    budgets = []
    for b in edges:
        seg = [s for s in segments if s["from_flops"] <= b]
        if not seg:
            continue
        best = {}
        for s in sizes:
            accs = [p["accuracy"] for p in points if p["size"] == s["size"] and p["total_flops"] <= b]
            best[s["size"]] = max(accs) if accs else None
        w = seg[-1]
        budgets.append({"budget_flops": float(b), "point": w["point"], "size": w["size"], "rl_flops": w["rl_flops"],
                        "k": w["k"], "accuracy": w["accuracy"], "shares": points[w["point"]]["shares"],
                        "dominant_axis": w["dominant_axis"], "best_per_size": best})
    return {"kind": "rlvr frontier", "benchmark": bench, "metric": metric, "problems_served": problems_served,
            "formula": "total_flops = pretrain_flops + rl_flops + sampling_flops_per_problem(k) * problems_served",
            "sizes": sizes, "points": points, "frontier": front, "segments": segments, "axis_ranges": ranges,
            "budgets": budgets, "bins_per_decade": bins_per_decade}
