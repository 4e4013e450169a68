"""`rlvr frontier`: (size, RL compute, k) points on one axis of total FLOPs, the Pareto frontier, the winning splits,
and bad input."""

import json
import math
from pathlib import Path

import pytest

from rlvr.analysis.frontier import frontier_runs, pareto
from rlvr.cli import main

REPO = Path(__file__).resolve().parent.parent
SIZES = {"small": (1e5, 1e12, 0.3), "mid": (4e5, 4e12, 0.45), "big": (1e6, 1.2e13, 0.6)}  # params, pretrain, base
RL = [0.0, 1e10, 1e11, 1e12]
KS = [1, 2, 4, 8, 16, 32, 64]
PER_SAMPLE = 2e3  # sampling FLOPs per sample per parameter


def acc(base: float, rl: float, k: int = 1) -> float:
    p1 = min(0.95, base + (0.1 * (math.log10(rl) - 9) if rl > 0 else 0.0))  # +0.1 per decade from 1e9
    return 1 - (1 - p1) ** k


def write_size(folder: Path, size: str, seed: int = 0, task: str = "add", recorded: bool = True,
               rows_pretrain: bool = True, summary_pretrain: bool = True) -> Path:
    n_params, pretrain, base = SIZES[size]
    base += 0.01 * seed
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"experiment: f\nseed: {seed}\ntask: {task}\nhidden_size: {int(n_params)}\n")
    summary = {"n_params_flops": n_params, **({"pretrain_flops": pretrain} if summary_pretrain else {})}
    (folder / "summary.json").write_text(json.dumps(summary))
    spp = PER_SAMPLE * n_params
    extra = {"pretrain_flops": pretrain} if rows_pretrain else {}
    evals = [{"step": i, "compute_flops": rl, "benchmark": "b", "pass@1": acc(base, rl), "n": 100,
              "pass@k": {"8": acc(base, rl, 8)}, "maj@k": {"8": acc(base, rl)}, "samples_per_problem": 8,
              "eval_flops": spp * 8 * 100, **extra} for i, rl in enumerate(RL)]
    (folder / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evals))
    tt = [{"checkpoint": name, "step": step, "compute_flops": RL[step], "benchmark": "b", "k": k,
           "pass@k": acc(base, RL[step], k) + 0.001, "maj@k": acc(base, RL[step]), "n": 50, "samples_per_problem": 64,
           "eval_flops": spp * 64 * 50, **({"sampling_flops_per_problem": spp * k} if recorded else {}), **extra}
          for name, step in (("base", 0), ("final", 3)) for k in KS]
    (folder / "test_time.jsonl").write_text("".join(json.dumps(r) + "\n" for r in tt))
    return folder


@pytest.fixture
def sweep(tmp_path):
    return [write_size(tmp_path / f"{s}-s{seed}", s, seed) for s in SIZES for seed in (0, 1)]


def test_every_point_is_traceable_and_sums_its_three_parts(sweep):
    result = frontier_runs(sweep, problems_served=1e4)
    assert [s["size"] for s in result["sizes"]] == ["100k params", "400k params", "1M params"]
    assert len(result["points"]) == 3 * (len(RL) * 2 + 2 * len(KS) - 4)  # evals (k 1, 8) + test-time, 4 shared
    for p in result["points"]:
        n_params, pretrain, _ = SIZES[Path(p["runs"][0]).name.split("-")[0]]
        assert p["pretrain_flops"] == pretrain and p["sampling_flops_per_problem"] == pytest.approx(
            PER_SAMPLE * n_params * p["k"])
        assert p["total_flops"] == pytest.approx(p["pretrain_flops"] + p["rl_flops"] + p["sampling_flops"])
        assert p["sampling_flops"] == pytest.approx(p["sampling_flops_per_problem"] * 1e4)
        assert len(p["runs"]) == len(p["steps"]) == 2  # the mean of the two seeds
        assert p["dominant_axis"] == max(p["shares"], key=p["shares"].get)
    final64 = [p for p in result["points"] if p["source"] == "test_time" and p["k"] == 64 and p["steps"] == [3, 3]]
    assert len(final64) == 3 and all(p["checkpoint"] == "final" for p in final64)


def test_the_frontier_is_more_accurate_than_anything_cheaper(sweep):
    result = frontier_runs(sweep, problems_served=1e4)
    points = result["points"]
    on = set(result["frontier"])
    for i, p in enumerate(points):
        cheaper = [q["accuracy"] for q in points if q["total_flops"] < p["total_flops"]]
        if i in on:
            assert not cheaper or p["accuracy"] > max(cheaper)
        else:  # dominated: something no dearer is at least as accurate
            assert any(q["total_flops"] <= p["total_flops"] and q["accuracy"] >= p["accuracy"]
                       for j, q in enumerate(points) if j != i)
    accs = [b["accuracy"] for b in result["budgets"]]
    assert accs == sorted(accs) and result["segments"][0]["from_flops"] == min(p["total_flops"] for p in points)
    ranges = result["axis_ranges"]
    assert all(a["to_flops"] == b["from_flops"] for a, b in zip(ranges, ranges[1:], strict=False))


@pytest.mark.parametrize("served, axis", [(1.0, "pretraining"), (1e9, "sampling")])
def test_problems_served_moves_the_winning_axis(sweep, served, axis):
    result = frontier_runs(sweep, problems_served=served)
    assert {r["axis"] for r in result["axis_ranges"]} == {axis}


@pytest.mark.parametrize("total, acc_, front", [([1, 2, 3], [0.1, 0.2, 0.3], [0, 1, 2]), ([1, 2, 3], [0.3, 0.2, 0.4],
                                                                                         [0, 2]),
                                                ([2, 1, 1], [0.5, 0.4, 0.45], [2, 0]), ([1], [0.0], [0])])
def test_pareto(total, acc_, front):
    assert pareto(total, acc_) == front


def test_fallbacks_when_the_rows_lack_the_new_fields(tmp_path):
    run = write_size(tmp_path / "small-s0", "small", recorded=False, rows_pretrain=False)
    result = frontier_runs([run], problems_served=10)
    tt = [p for p in result["points"] if p["source"] == "test_time"]
    assert all(p["sampling_source"] == ["eval_flops / n / samples_per_problem * k"] for p in tt)
    assert all(p["sampling_flops_per_problem"] == pytest.approx(PER_SAMPLE * 1e5 * p["k"]) for p in tt)
    assert all(p["pretrain_flops"] == 1e12 for p in result["points"])  # from summary.json


def test_test_time_rows_win_over_the_rl_curve_at_the_same_checkpoint(sweep):
    result = frontier_runs(sweep[:1], problems_served=1e4)
    base_k1 = [p for p in result["points"] if p["k"] == 1 and p["steps"] == [0]]
    assert len(base_k1) == 1 and base_k1[0]["source"] == "test_time"


def test_cli_writes_frontier_json_and_a_real_png(sweep, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["frontier", *map(str, sweep), "--output", str(out), "--metric", "maj@k"]) == 0
    printed = capsys.readouterr().out
    assert "b maj@k, 10000 problems served" in printed and "carries the largest share" in printed
    result = json.loads((out / "frontier.json").read_text())
    assert result["metric"] == "maj@k" and result["problems_served"] == 10_000
    png = (out / "frontier.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


@pytest.mark.parametrize("make, args, message", [
    ("demo", [], "docs/demo: no pretrain_flops in summary.json or its evals/test_time rows (older rlvr); re-run "
                 "`rlvr eval"),
    ("tasks", [], "are different tasks (task differ)"),
    ("missing", [], "does not exist"),
    ("sweep", ["--problems-served", "many"], "--problems-served must be a number > 0"),
    ("sweep", ["--problems-served", "0"], "--problems-served must be a number > 0"),
    ("sweep", ["--metric", "pass@1"], "--metric must be one of pass@k, maj@k"),
    ("sweep", ["--benchmark", "nope"], "has no benchmark 'nope'"),
    ("torn", [], "line 2 is not valid JSON"),
])
def test_bad_input_is_one_line_naming_the_run_and_the_fix(tmp_path, capsys, make, args, message):
    runs = {"demo": lambda: [REPO / "docs/demo"],
            "tasks": lambda: [write_size(tmp_path / "a", "small"), write_size(tmp_path / "b", "mid", task="linfn")],
            "missing": lambda: [tmp_path / "nowhere"],
            "sweep": lambda: [write_size(tmp_path / "a", "small")],
            "torn": lambda: [write_size(tmp_path / "a", "small")]}[make]()
    if make == "torn":
        lines = (runs[0] / "test_time.jsonl").read_text().splitlines()
        (runs[0] / "test_time.jsonl").write_text("\n".join([lines[0], "{oops", *lines[1:]]) + "\n")
    code = main(["frontier", *map(str, runs), "--output", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
