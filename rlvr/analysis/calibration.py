"""`rlvr forecast --calibrate`: how good are the forecasts? Backtests over every run given.

    result = calibrate([Path("docs/demo"), Path("docs/code_demo")])   # calibration.json's content

For each run and benchmark two forecasts are made, each from its own cut: the first decade (evaluations from the
first one with compute > 0 up to 10x its compute) and the first half (of the run's log-compute range). Every later
evaluation is a target; the forecast is compared with what was measured there. A run is one folder (one seed):
the question is how well one run's beginning predicts its own end.

Figures: the number of forecasts, the coverage of the 95% intervals (share of measured values inside), the median
absolute error of the point forecasts; overall (the family each backtest chose), per cut and per run, and per
family with that family forced on every forecast (`per_family`), so each family is judged on the same targets.

Widening rule (applied only when the raw intervals are over-confident, coverage < 95%): every half-width around
the point forecast is multiplied by one factor s. For each run, s is the smallest factor on a grid (1, 1.1, ...,
6) at which the forecasts of all *other* runs reach 95% coverage (leave-one-run-out), so no run's intervals are
widened by a factor fitted on that run's own truths. `widened` reports coverage under that rule; `widen_all` is
the factor chosen on all runs together, the value to pass to `rlvr forecast --widen` for a new run.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from rlvr.analysis.families import FAMILIES
from rlvr.analysis.forecast import DRAWS, forecast_points, widened

__all__ = ["calibrate", "cuts", "widen_factor", "CUTS", "GRID"]

CUTS = ("first_decade", "first_half")
METHODS = ("backtest", *FAMILIES)  # the family the backtest chooses, then each family forced
GRID = tuple(round(1.0 + 0.1 * i, 1) for i in range(51))  # 1.0 .. 6.0


def cuts(compute: np.ndarray) -> dict[str, float]:
    """The two cuts of a run, in FLOPs."""
    trained = compute[compute > 0]
    lo, hi = math.log10(trained.min()), math.log10(trained.max())
    return {"first_decade": 10 ** (lo + 1.0), "first_half": 10 ** ((lo + hi) / 2)}


def _inside(rec: dict, s: float) -> bool:
    lo, hi = widened(rec["point"], rec["interval_raw"], s)
    return lo <= rec["observed"] <= hi


def widen_factor(records: list[dict], goal: float = 0.95) -> float:
    """Smallest factor of GRID at which `records` reach `goal` coverage (the largest when none does)."""
    if not records:
        return 1.0
    for s in GRID:
        if np.mean([_inside(r, s) for r in records]) >= goal:
            return s
    return GRID[-1]


def _figures(records: list[dict], key: str = "inside") -> dict:
    if not records:
        return {"forecasts": 0, "coverage95": None, "median_abs_error": None}
    return {"forecasts": len(records), "coverage95": float(np.mean([r[key] for r in records])),
            "median_abs_error": float(np.median([abs(r["point"] - r["observed"]) for r in records]))}


def _by(records: list[dict], field: str, key: str = "inside") -> dict:
    groups = defaultdict(list)
    for r in records:
        groups[r[field]].append(r)
    return {name: _figures(rs, key) for name, rs in sorted(groups.items())}


def _run_records(name: str, points: dict, draws: int, seed: int) -> tuple[list[dict], list[str]]:
    records, skipped = [], []
    for bench, p in points.items():
        if int(np.sum(p.trained)) < 2:
            skipped.append(f"{name} [{bench}]: fewer than 2 evaluations with compute > 0")
            continue
        for cut_name, cut in cuts(p.compute).items():
            targets = sorted({float(c) for c in p.compute[p.compute > cut]})
            if not targets:
                skipped.append(f"{name} [{bench}] {cut_name}: no evaluation past the cut {cut:.3g} FLOPs")
                continue
            for method in METHODS:
                try:
                    result = forecast_points(p, cut, targets, draws=draws, seed=seed,
                                             family=None if method == "backtest" else method)
                except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
                    skipped.append(f"{name} [{bench}] {cut_name} {method}: {err}")
                    continue
                records += _records(name, bench, cut_name, method, result)
    return records, skipped


def _records(name: str, bench: str, cut_name: str, method: str, result: dict) -> list[dict]:
    records = []
    for t in result["targets"]:
        if t["interval_raw"] is None or "observed" not in t:
            continue
        records.append({"run": name, "benchmark": bench, "cut": cut_name, "cut_flops": result["cut"],
                        "method": method, "family": result["family"], "target_flops": t["compute"],
                        "point": t["point"], "interval_raw": t["interval_raw"], "observed": t["observed"]["value"],
                        "inside": _inside({**t, "observed": t["observed"]["value"]}, 1.0)})
    return records


def calibrate(run_dirs: list[Path], draws: int = DRAWS, seed: int = 0) -> dict:
    """calibration.json's content for `run_dirs` (each folder with an evals.jsonl is one run)."""
    from rlvr.analysis.fit import load_points

    everything, skipped, names = [], [], []
    for run in run_dirs:
        name = str(run)
        names.append(name)
        recs, why = _run_records(name, load_points([run]), draws, seed)
        everything += recs
        skipped += why
    records = [r for r in everything if r["method"] == "backtest"]
    forced = [r for r in everything if r["method"] != "backtest"]
    if not records:
        raise ValueError("no forecast could be checked: " + ("; ".join(skipped) or "no runs")
                         + "; give runs with evaluations past the first decade")
    for r in records:  # leave-one-run-out widening
        s = widen_factor([o for o in records if o["run"] != r["run"]])
        r["widen_loo"] = s
        r["inside_widened"] = _inside(r, s)
    for r in forced:
        r["widen_loo"] = widen_factor([o for o in forced if o["run"] != r["run"] and o["method"] == r["method"]])
        r["inside_widened"] = _inside(r, r["widen_loo"])
    first = [r for r in records if r["cut"] == "first_decade"]
    first_forced = [r for r in forced if r["cut"] == "first_decade"]
    return {
        "runs": names, "cuts": list(CUTS), "draws": draws,
        "raw": {**_figures(records), "per_family": _by(forced, "method"), "chosen_family": _by(records, "family"),
                "per_cut": _by(records, "cut"), "per_run": _by(records, "run")},
        "widened": {**_figures(records, "inside_widened"), "per_family": _by(forced, "method", "inside_widened"),
                    "per_cut": _by(records, "cut", "inside_widened"),
                    "rule": "half-widths x s, s = smallest grid factor giving 95% coverage on the other runs"},
        "first_decade": {**_figures(first), "per_family": _by(first_forced, "method"),
                         "widened": _figures(first, "inside_widened"),
                         "widened_per_family": _by(first_forced, "method", "inside_widened")},
        "widen_all": widen_factor(records), "skipped": skipped, "forecasts": records, "forecasts_forced": forced,
    }
