"""`rlvr study`: conditions from run folders, per-level take-off compute, the log-linear span, results.json, PNGs.

Synthetic run folders with known truth: a *narrow* condition (one level, a steep sigmoid in log compute) and a
*broad* one (three levels whose sigmoids take off a decade apart, base pass@1 spread x40), three seeds each, pass@1
drawn binomially around the truth."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_rlvr

from rlvr.analysis.study import load_evals, loglinear_decades, seed_means, study_runs
from rlvr.analysis.study_plots import plot_study

COMPUTE = np.geomspace(1e9, 1e13, 13)  # four decades, 3 evaluations per decade
N = 120  # problems per level


def curve(c, r0, a, c_mid, b=2.0):
    return r0 + (a - r0) / (1 + (c_mid / c) ** b)


NARROW = {"2": (0.10, 0.80, 1e11)}
BROAD = {"1": (0.40, 0.95, 1e10), "2": (0.10, 0.80, 1e11), "3": (0.01, 0.60, 1e12)}
FLAT = {"1": (0.40, 0.95, 1e10), "9": (0.05, 0.05, 1e11)}


def write_condition(root, name, levels, seeds=(0, 1, 2), rng_seed=0, stagger=False):
    rng = np.random.default_rng(rng_seed)
    runs = []
    for seed in seeds:
        run = root / f"{name}-s{seed}"
        run.mkdir(parents=True)
        (run / "config.yaml").write_text(f"experiment: {name}\nseed: {seed}\ntask: add\n")
        rows = []
        for step, c in enumerate([0.0, *COMPUTE]):
            subsets = {}
            for level, (r0, a, mid) in levels.items():
                truth = r0 if c == 0 else curve(c, r0, a, mid)
                subsets[level] = {"pass@1": float(rng.binomial(N, truth) / N), "n": N}
            acc = float(np.mean([s["pass@1"] for s in subsets.values()]))
            rows.append({"step": step + (seed if stagger and step else 0), "compute_flops": c * (1 + 0.01 * seed),
                         "benchmark": "toy_heldout", "pass@1": acc,
                         "n": N * len(levels), "subsets": subsets})
        (run / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        runs.append(run)
    return runs


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    runs = write_condition(root, "narrow", NARROW) + write_condition(root, "broad", BROAD, rng_seed=1)
    return root, study_runs(runs, draws=100)


def test_results_follow_the_schema(study):
    _, result = study
    assert set(result) == {"conditions", "verdict"} and set(result["conditions"]) == {"narrow", "broad"}
    for cond in result["conditions"].values():
        assert cond["seeds"] == [0, 1, 2]
        assert set(cond["backtest_mae"]) == {"loglinear", "sigmoid", "powerlaw"}
        assert cond["best"] in cond["backtest_mae"]
        assert 0 <= cond["loglinear_decades"] <= cond["decades"] + 1e-9
    assert set(result["conditions"]["broad"]["levels"]) == {"1", "2", "3"}
    json.dumps(result)  # results.json must be plain JSON


def test_take_off_compute_per_level_matches_the_truth(study):
    _, result = study
    levels = result["conditions"]["broad"]["levels"]
    mids = [levels[lv]["C_mid"] for lv in ("1", "2", "3")]
    assert mids == sorted(mids)  # harder levels take off later
    for lv, (_, _, truth) in BROAD.items():
        lo, hi = levels[lv]["C_mid_ci95"]
        assert lo <= levels[lv]["C_mid"] <= hi
        assert abs(math.log10(levels[lv]["C_mid"]) - math.log10(truth)) < 0.35, lv


def test_broad_mixture_is_log_linear_over_more_decades_than_one_level(study):
    _, result = study
    narrow, broad = result["conditions"]["narrow"], result["conditions"]["broad"]
    assert broad["loglinear_decades"] > narrow["loglinear_decades"] + 0.5
    assert broad["base_spread"] > 10 and narrow["base_spread"] == pytest.approx(1.0)
    assert "narrow" in result["verdict"] and "broad" in result["verdict"] and "Mechanism" in result["verdict"]


def test_a_level_that_does_not_rise_has_no_take_off(tmp_path):
    result = study_runs(write_condition(tmp_path, "flat", FLAT), draws=50)
    entry = result["conditions"]["flat"]["levels"]["9"]
    assert entry["C_mid"] is None and "no take-off" in entry["reason"]
    assert result["conditions"]["flat"]["levels"]["1"]["C_mid_in_range"] is True
    assert result["conditions"]["flat"]["takeoff_spread_decades"] is None  # one take-off: no spread


def test_seeds_are_paired_by_evaluation_not_by_step(tmp_path):
    """Evaluations come at log-spaced compute, so seeds evaluate at different steps; every evaluation still counts."""
    runs = write_condition(tmp_path, "staggered", NARROW, stagger=True)
    points = seed_means(load_evals(runs), "toy_heldout")
    assert len(points) == len(COMPUTE) + 1 and all(p["seeds"] == 3 for p in points)
    assert points[5]["steps"] == [5, 6, 7] and points[5]["compute"] == pytest.approx(COMPUTE[4] * 1.01)


def pts(acc, se=0.01):
    return [{"compute": float(c), "acc": float(a), "se": se} for c, a in zip(COMPUTE, acc, strict=True)]


X = np.log10(COMPUTE) - 9  # 0..4


@pytest.mark.parametrize("name, acc, low, high", [
    ("straight line over four decades", 0.1 + 0.2 * X, 4.0, 4.0),
    ("flat: no rise, no log-linear span", np.full(13, 0.3), 0.0, 0.0),
    ("steep S: only its middle is linear", curve(COMPUTE, 0.05, 0.9, 1e11, b=4.0), 0.3, 1.7),
    ("line then plateau", np.minimum(0.1 + 0.3 * X, 0.7), 2.0, 2.4),
])
def test_loglinear_decades(name, acc, low, high):
    d = loglinear_decades(pts(acc))["decades"]
    assert low <= d <= high, (name, d)


def test_plots_are_real_pngs(study, tmp_path):
    _, result = study
    for path in plot_study(result, tmp_path / "figs"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_cli_writes_results_and_figures(study, tmp_path):
    root, _ = study
    out = tmp_path / "out"
    proc = run_rlvr("study", root, "--output", out, "--draws", "40")
    assert proc.returncode == 0, proc.stderr
    assert "Hypothesis" in proc.stdout
    assert set(json.loads((out / "results.json").read_text())["conditions"]) == {"narrow", "broad"}
    assert (out / "aggregate.png").exists() and (out / "levels.png").exists()


@pytest.mark.parametrize("args, message", [
    (["{empty}", "--output", "{out}"], "contains none"),
    (["{root}", "--output", "{out}", "--benchmark", "nope"], "benchmark 'nope' is not in"),
    (["{root}", "--output", "{out}", "--draws", "3"], "--draws must be at least 20"),
])
def test_cli_errors_are_one_line(study, tmp_path, args, message):
    root, _ = study
    (tmp_path / "empty").mkdir()
    args = [a.format(root=root, out=tmp_path / "o", empty=tmp_path / "empty") for a in args]
    proc = run_rlvr("study", *args)
    assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_study_never_imports_torch(study, tmp_path):
    """`rlvr study` runs where the trainer cannot (a laptop with the run folders copied over)."""
    root, _ = study
    code = ("import sys; from pathlib import Path\n"
            "from rlvr.analysis.study import study_runs; from rlvr.analysis.study_plots import plot_study\n"
            f"runs = sorted(Path({str(root)!r}).iterdir())\n"
            f"plot_study(study_runs(runs, draws=20), Path({str(tmp_path)!r}))\n"
            "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]\n"
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
