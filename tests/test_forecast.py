"""`rlvr forecast`: forecasts from a run's beginning, their intervals, calibration, and one-line errors."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rlvr.analysis.calibration import calibrate, widen_factor
from rlvr.analysis.families import Points
from rlvr.analysis.forecast import forecast_points, observed_at
from rlvr.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS_RUNS = [ROOT / "docs" / d for d in ("demo", "code_demo", "reasoning_gym")]


def truth(c):
    return 0.2 + 0.1 * np.log10(c / 1e9)


def synthetic(rng, n=256, decades=3.0, per_decade=3):
    compute = np.concatenate([[0.0], 1e9 * 10 ** np.arange(0, decades + 1e-9, 1 / per_decade)])
    acc_true = np.where(compute > 0, truth(np.maximum(compute, 1e9)), 0.15)
    acc = rng.binomial(n, acc_true) / n
    return Points(compute, acc, np.full(len(compute), n), np.zeros(len(compute), int))


def write_run(folder: Path, points: Points, task="add", bench="add_heldout"):
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"step": i, "compute_flops": float(c), "benchmark": bench, "pass@1": float(a), "n": int(n)}
            for i, (c, a, n) in enumerate(zip(points.compute, points.acc, points.n, strict=True))]
    (folder / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "config.yaml").write_text(f"task: {task}\nseed: 0\n")
    return folder


def test_intervals_cover_a_known_curve_most_of_the_time():
    """30 synthetic runs of a known log-linear curve with binomial noise: forecasts from the first decade, at 100x."""
    rng = np.random.default_rng(0)
    hits = []
    for i in range(30):
        p = synthetic(rng)
        out = forecast_points(p, cut=1e10, targets=[1e12], draws=200, seed=i, family="loglinear")
        lo, hi = out["targets"][0]["interval"]
        hits.append(lo <= truth(1e12) <= hi)
    assert np.mean(hits) >= 0.8, np.mean(hits)


def test_fit_uses_only_points_up_to_the_cut_and_reports_them():
    p = synthetic(np.random.default_rng(1))
    out = forecast_points(p, cut=1e10, targets=[1e11, 1e13], draws=50)
    assert all(r["compute"] <= 1e10 for r in out["fit_rows"]) and len(out["fit_rows"]) == 5  # base + 4
    near, far = out["targets"]
    assert near["observed"]["how"] == "measured" and "inside" in near
    assert "observed" not in far  # past the last evaluation: nothing to compare with


@pytest.mark.parametrize("target, how", [(1e10, "measured"), (10 ** 10.15, "interpolated"), (1e13, None)])
def test_observed_value_at_a_target(target, how):
    p = Points(np.array([1e9, 1e10, 10 ** (10 + 1 / 3)]), np.array([0.2, 0.3, 0.4]), np.full(3, 100))
    obs = observed_at(p, target)
    assert (obs or {}).get("how") == how
    if how == "interpolated":
        assert math.isclose(obs["value"], 0.3 + 0.15 / (1 / 3) * 0.1)


@pytest.mark.parametrize("records, factor", [
    ([{"point": 0.5, "interval_raw": [0.4, 0.6], "observed": 0.55}], 1.0),
    ([{"point": 0.5, "interval_raw": [0.4, 0.6], "observed": 0.7}], 2.0),
    ([{"point": 0.5, "interval_raw": [0.5, 0.5], "observed": 0.7}], 6.0),  # never reached: the largest factor
    ([], 1.0),
])
def test_widen_factor_is_the_smallest_grid_value_reaching_95_percent(records, factor):
    assert widen_factor(records) == factor


@pytest.mark.parametrize("point, raw, s, expected", [
    (0.5, [0.4, 0.6], 2.0, [0.3, 0.7]),
    (1.0, [0.5, 0.96], 3.0, [0.0, 1.0]),  # point above its raw interval (clipped): the raw upper side is kept
    (0.1, [0.05, 0.2], 1.0, [0.05, 0.2]),
])
def test_widening_keeps_the_point_and_the_raw_interval_inside(point, raw, s, expected):
    from rlvr.analysis.forecast import widened

    assert widened(point, raw, s) == pytest.approx(expected)


def test_calibration_on_the_committed_runs():
    out = calibrate(DOCS_RUNS, draws=60)
    raw, wid = out["raw"], out["widened"]
    assert raw["forecasts"] == len(out["forecasts"]) > 10
    assert 0 <= raw["coverage95"] <= 1 and raw["median_abs_error"] >= 0
    assert set(raw["per_family"]) == {"loglinear", "sigmoid", "powerlaw"}
    assert out["first_decade"]["forecasts"] > 0
    every = out["forecasts"]
    assert all(r["cut_flops"] < r["target_flops"] for r in every)  # never forecasts what it was fitted on
    assert wid["coverage95"] >= raw["coverage95"]  # widening never loses coverage


def test_calibrate_cli_writes_json_and_png(tmp_path, capsys):
    assert main(["forecast", "--calibrate", *map(str, DOCS_RUNS), "--output", str(tmp_path), "--draws", "40"]) == 0
    assert json.loads((tmp_path / "calibration.json").read_text())["raw"]["forecasts"] > 0
    assert (tmp_path / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "95% interval coverage" in capsys.readouterr().out


def test_calibrate_takes_runs_of_different_tasks(tmp_path):
    """Calibration forecasts each folder alone, so (unlike a forecast, which pools seeds) tasks may differ."""
    rng = np.random.default_rng(4)
    a = write_run(tmp_path / "a", synthetic(rng))
    b = write_run(tmp_path / "b", synthetic(rng), task="reasoning_gym")
    assert main(["forecast", "--calibrate", str(a), str(b), "--output", str(tmp_path / "out"), "--draws", "20"]) == 0
    assert json.loads((tmp_path / "out" / "calibration.json").read_text())["runs"] == [str(a), str(b)]


def test_forecast_cli_writes_forecast_json_into_the_run(tmp_path, capsys):
    run = write_run(tmp_path / "run", synthetic(np.random.default_rng(2)))
    assert main(["forecast", str(run), "--fit-decades", "1", "--at", "1e11,1e12", "--draws", "40"]) == 0
    out = json.loads((run / "forecast.json").read_text())["benchmarks"]["add_heldout"]
    assert [t["compute"] for t in out["targets"]] == [1e11, 1e12]
    assert "add_heldout: at 1e+11 FLOPs pass@1 forecast" in capsys.readouterr().out


def _bad(tmp_path, case):
    good = synthetic(np.random.default_rng(3))
    if case == "one evaluation":
        return [str(write_run(tmp_path / "r", good.subset(np.arange(len(good.acc)) < 2))), "--fit-decades", "1",
                "--at", "1e12"]
    if case == "no data before the cut":
        return [str(write_run(tmp_path / "r", good)), "--fit-until", "1e8", "--at", "1e12"]
    if case == "different benchmarks, no configs":
        a, b = write_run(tmp_path / "a", good), write_run(tmp_path / "b", good, bench="other")
        (a / "config.yaml").unlink()
        (b / "config.yaml").unlink()
        return [str(a), str(b), "--fit-until", "1e8", "--at", "1e12"]
    if case == "different tasks":
        return [str(write_run(tmp_path / "a", good)), str(write_run(tmp_path / "b", good, task="linfn")),
                "--fit-decades", "1", "--at", "1e12"]
    if case == "missing folder":
        return [str(tmp_path / "nope"), "--fit-decades", "1", "--at", "1e12"]
    if case == "malformed line":
        run = write_run(tmp_path / "r", good)
        text = (run / "evals.jsonl").read_text()
        (run / "evals.jsonl").write_text('{"step": 9, "compute_flops": \n' + text)  # damaged, not a torn last line
        return [str(run), "--fit-decades", "1", "--at", "1e12"]
    run = str(write_run(tmp_path / "r", good))
    return {"bad --at": [run, "--fit-decades", "1", "--at", "ten"], "negative --at": [run, "--fit-decades", "1",
            "--at=-1e12"], "no cut": [run, "--at", "1e12"], "no --at": [run, "--fit-decades", "1"],
            "calibrate without output": ["--calibrate", run]}[case]


@pytest.mark.parametrize("case, words", [
    ("one evaluation", "at or below the cut"),
    ("no data before the cut", "move the cut later"),
    ("different tasks", "runs of different tasks"),
    ("different benchmarks, no configs", "a [add_heldout]"),  # each folder alone, never pooled
    ("missing folder", "does not exist"),
    ("malformed line", "evals.jsonl"),
    ("bad --at", "is not a number"),
    ("negative --at", "positive"),
    ("no cut", "--fit-until FLOPS or --fit-decades"),
    ("no --at", "--at is missing"),
    ("calibrate without output", "needs --output"),
])
def test_bad_input_is_one_line_naming_the_fix(tmp_path, capsys, case, words):
    assert main(["forecast", *_bad(tmp_path, case)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    if case in ("one evaluation", "no data before the cut"):
        assert str(tmp_path / "r") in err  # names the run


def test_default_widening_is_the_committed_calibration():
    from rlvr.commands.forecast import DEFAULT_WIDEN

    committed = json.loads((ROOT / "docs" / "forecast" / "calibration.json").read_text())
    assert DEFAULT_WIDEN == committed["widen_all"]
    assert committed["widened"]["coverage95"] >= 0.9  # the leave-one-run-out rule reaches the goal there


def test_forecast_and_calibrate_run_without_torch(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from rlvr.cli import main\n"
            f"main(['forecast', {str(DOCS_RUNS[0])!r}, '--fit-decades', '1', '--at', '1e12', '--output', "
            f"{str(tmp_path)!r}, '--draws', '20'])\n"
            f"main(['forecast', '--calibrate', {str(DOCS_RUNS[0])!r}, '--output', {str(tmp_path)!r}, "
            "'--draws', '20'])\n"
            "print([m for m in ('torch', 'transformers', 'trl') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
