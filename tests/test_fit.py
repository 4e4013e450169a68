"""Scaling fits on synthetic truth: parameters recovered within their intervals, the right family chosen by
backtest, ~95% interval coverage, and clear errors for too little data."""

import json
import math

import numpy as np
import pytest
from conftest import run_rlvr

from rlvr.analysis.families import Points, fit_loglinear, predict
from rlvr.analysis.fit import fit_runs, load_points

COMPUTE = np.logspace(10, 14, 9)  # 4 decades, 9 points


def write_run(folder, accs, compute=COMPUTE, n=1000, seed=0, base=None, **config):
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("".join(f"{k}: {v}\n" for k, v in {"experiment": "synth", "seed": seed,
                                                                             **config}.items()))
    rows = [] if base is None else [{"step": 0, "compute_flops": 0.0, "benchmark": "synth", "pass@1": base, "n": n}]
    rows += [{"step": i + 1, "compute_flops": float(c), "benchmark": "synth", "pass@1": float(a), "n": n,
              "pass@k": {"8": min(1.0, float(a) + 0.2)}} for i, (c, a) in enumerate(zip(compute, accs, strict=True))]
    (folder / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def noisy(p, n, rng):
    return rng.binomial(n, np.clip(p, 0, 1)) / n


def loglinear_truth(c, a=0.2, b=0.1):
    return a + b * (np.log10(c) - 10)


def sigmoid_truth(c):
    return predict("sigmoid", {"A": 0.8, "B": 1.5, "C_mid": 1e12, "R0": 0.2}, c)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loglinear_slope_recovered_within_ci(tmp_path, seed):
    rng = np.random.default_rng(seed)
    run = write_run(tmp_path / "r", noisy(loglinear_truth(COMPUTE), 1000, rng), base=0.15)
    entry = fit_runs([run], draws=100)["benchmarks"]["synth"]
    ll = entry["loglinear"]
    assert abs(ll["slope_per_decade"] - 0.1) <= 0.015
    assert ll["ci95"][0] <= 0.1 <= ll["ci95"][1]
    assert ll["r2"] > 0.9 and entry["verdict"].startswith("Log-linear holds")


@pytest.mark.parametrize("truth, n, base", [
    ({"A": 0.8, "B": 1.5, "C_mid": 1e12, "R0": 0.2}, 1000, 0.2),   # bend in the middle of the range
    ({"A": 0.6, "B": 1.5, "C_mid": 1e11, "R0": 0.05}, 256, None),  # early saturation, no base-model point
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_is_chosen_with_its_ceiling(tmp_path, truth, n, base, seed):
    rng = np.random.default_rng(seed)
    run = write_run(tmp_path / "r", noisy(predict("sigmoid", truth, COMPUTE), n, rng), n=n,
                    base=None if base is None else rng.binomial(n, base) / n)
    entry = fit_runs([run], draws=60)["benchmarks"]["synth"]
    assert entry["best"] == "sigmoid", entry["backtest"]
    assert abs(entry["sigmoid"]["A"] - truth["A"]) <= 0.05
    assert entry["backtest"]["sigmoid"]["mae"] < entry["backtest"]["loglinear"]["mae"]
    assert entry["verdict"].startswith("Accuracy saturates")


@pytest.mark.parametrize("seed", [3, 4])
def test_flat_data_has_no_slope(tmp_path, seed):
    rng = np.random.default_rng(seed)
    run = write_run(tmp_path / "r", noisy(np.full(9, 0.5), 1000, rng), base=0.5)
    entry = fit_runs([run], draws=100)["benchmarks"]["synth"]
    ll = entry["loglinear"]
    assert abs(ll["slope_per_decade"]) <= 0.01 and ll["ci95"][0] <= 0 <= ll["ci95"][1]
    assert entry["verdict"].startswith("Cannot be judged")


def test_seeds_are_pooled_and_resampled(tmp_path):
    rng = np.random.default_rng(4)
    runs = [write_run(tmp_path / f"s{s}", noisy(loglinear_truth(COMPUTE) + 0.02 * (s - 1), 1000, rng), seed=s)
            for s in range(3)]
    result = fit_runs(runs)
    entry = result["benchmarks"]["synth"]
    assert entry["points"]["n_runs"] == 3 and entry["points"]["n_trained"] == 27
    assert abs(entry["loglinear"]["slope_per_decade"] - 0.1) <= 0.015


def test_extrapolation_reaches_target(tmp_path):
    rng = np.random.default_rng(5)
    run = write_run(tmp_path / "r", noisy(loglinear_truth(COMPUTE), 1000, rng))
    ex = fit_runs([run], target=0.8)["benchmarks"]["synth"]["extrapolation"]
    # truth: 0.2 + 0.1 (log10 C - 10) = 0.8 at C = 1e16
    assert ex["family"] in ("loglinear", "powerlaw", "sigmoid") and ex["compute"] is not None
    ll = ex["by_family"]["loglinear"]
    assert 15.5 < math.log10(ll["compute"]) < 16.5 and ll["ci95"][0] < 1e16 < ll["ci95"][1]


def test_loglinear_fit_is_exact_on_noise_free_data():
    p = Points(COMPUTE, loglinear_truth(COMPUTE), np.full(9, 100.0))
    fit = fit_loglinear(p)
    assert fit["slope_per_decade"] == pytest.approx(0.1) and fit["r2"] == pytest.approx(1.0)




@pytest.mark.parametrize("compute, message", [
    (np.array([1e10, 1e12]), "has 2 evaluation point"),          # two points
    (np.array([1e10, 2e10, 5e10]), "spans 0.70 decades"),         # less than one decade
    (np.array([1e10, 1e10, 1e10, 1e10]), "has 1 evaluation point"),  # repeated evaluations of one point
])
def test_too_little_data_exits_nonzero_without_traceback(tmp_path, compute, message):
    run = write_run(tmp_path / "r", np.full(len(compute), 0.5), compute=compute)
    proc = run_rlvr("fit", str(run))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_cli_writes_fit_json_with_design_fields(tmp_path):
    rng = np.random.default_rng(7)
    run = write_run(tmp_path / "r", noisy(loglinear_truth(COMPUTE), 1000, rng), base=0.15)
    proc = run_rlvr("fit", str(run), "--draws", "100")
    assert proc.returncode == 0, proc.stderr
    entry = json.loads((run / "fit.json").read_text())["benchmarks"]["synth"]
    assert set(entry["loglinear"]) >= {"slope_per_decade", "ci95", "intercept", "r2"}
    assert set(entry["sigmoid"]) >= {"A", "B", "C_mid", "R0"} and set(entry["powerlaw"]) >= {"k", "E"}
    assert set(entry["backtest"]) == {"loglinear", "sigmoid", "powerlaw"}
    assert entry["best"] in ("loglinear", "sigmoid", "powerlaw") and isinstance(entry["verdict"], str)


def test_bad_rows_are_clear_errors(tmp_path):
    run = write_run(tmp_path / "r", np.full(9, 0.5))
    with open(run / "evals.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 99, "compute_flops": 1e15, "benchmark": "synth", "pass@1": 1.7}) + "\n")
    with pytest.raises(ValueError, match="pass@1 in"):
        load_points([run])


def test_resumed_runs_keep_the_last_attempt(tmp_path):
    run = write_run(tmp_path / "r", np.full(9, 0.5))
    with open(run / "evals.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 9, "compute_flops": 1e14, "benchmark": "synth", "pass@1": 0.9, "n": 1000,
                             "attempt": 2}) + "\n")
    p = load_points([run])["synth"]
    assert len(p.acc) == 9 and p.acc[-1] == 0.9


def test_only_the_base_model_is_an_error(tmp_path):
    run = write_run(tmp_path / "r", [], compute=np.array([]), base=0.3)
    proc = run_rlvr("fit", str(run))
    assert proc.returncode == 2 and "has 0 evaluation point" in proc.stderr and "Traceback" not in proc.stderr


def test_a_benchmark_with_too_few_points_does_not_block_the_others(tmp_path):
    rng = np.random.default_rng(8)
    run = write_run(tmp_path / "r", noisy(loglinear_truth(COMPUTE), 1000, rng))
    with open(run / "evals.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 1, "compute_flops": 1e10, "benchmark": "short", "pass@1": 0.3, "n": 50}) + "\n")
    proc = run_rlvr("fit", str(run), "--draws", "40")
    assert proc.returncode == 2 and "[short]" in proc.stderr and "Traceback" not in proc.stderr
    benchmarks = json.loads((run / "fit.json").read_text())["benchmarks"]
    assert "error" in benchmarks["short"] and benchmarks["synth"]["best"]


def test_groups_split_by_config_and_pool_seeds(tmp_path):
    rng = np.random.default_rng(9)
    runs = [write_run(tmp_path / f"h{h}-s{s}", noisy(loglinear_truth(COMPUTE, b=slope), 1000, rng), seed=s,
                      hidden_size=h) for h, slope in ((64, 0.05), (128, 0.1)) for s in (0, 1)]
    out = tmp_path / "all.json"
    proc = run_rlvr("fit", str(tmp_path), "--draws", "40", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    groups = json.loads(out.read_text())["groups"]
    assert len(groups) == 2 and all(len(g["runs"]) == 2 for g in groups)
    slopes = sorted(g["benchmarks"]["synth"]["loglinear"]["slope_per_decade"] for g in groups)
    assert slopes == pytest.approx([0.05, 0.1], abs=0.015)
    for run in runs:  # each run folder holds its own group's fit
        fit = json.loads((run / "fit.json").read_text())
        assert str(run) in fit["runs"] and fit["benchmarks"]["synth"]["points"]["n_runs"] == 2


def test_every_benchmark_and_subset_with_enough_points_is_fitted(tmp_path):
    rng = np.random.default_rng(3)
    run = write_run(tmp_path / "r", noisy(loglinear_truth(COMPUTE), 1000, rng), base=0.15)
    rows = [json.loads(line) for line in (run / "evals.jsonl").read_text().splitlines()]
    shifted = []
    for row in rows:
        acc = row["pass@1"] / 2
        subsets = {"easy": {"pass@1": min(1.0, 2 * acc), "n": 500}, "hard": {"pass@1": acc / 2, "n": 500}}
        if row["step"] > 2:  # "rare" has only two trained points: too few to fit
            subsets.pop("hard")
        else:
            subsets["rare"] = {"pass@1": 0.1, "n": 3}
        shifted.append({**row, "benchmark": "shifted", "pass@1": acc, "subsets": subsets})
    (run / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows + shifted))
    result = fit_runs([run], draws=50)
    assert set(result["benchmarks"]) == {"synth", "shifted"}
    subsets = result["benchmarks"]["shifted"]["subsets"]
    assert "verdict" in subsets["easy"] and subsets["easy"]["loglinear"]["slope_per_decade"] > 0
    assert "error" in subsets["rare"] and "error" in subsets["hard"]  # 2 trained points each
    assert "subsets" not in result["benchmarks"]["synth"]
