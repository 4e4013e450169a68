"""`rlvr plot` writes real PNG files for single runs and overlaid groups."""

import json
import subprocess
import sys

import numpy as np

from rlvr.analysis.plots import plot_runs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(folder, seed=0, hidden=128, slope=0.1):
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"experiment: synth\nseed: {seed}\nhidden_size: {hidden}\n")
    compute = np.logspace(10, 13, 7)
    rows = [{"step": 0, "compute_flops": 0, "benchmark": "b", "pass@1": 0.3, "n": 200, "pass@k": {"8": 0.8}}]
    rows += [{"step": i + 1, "compute_flops": float(c), "benchmark": "b", "pass@1": 0.3 + slope * (np.log10(c) - 10),
              "n": 200, "pass@k": {"8": 0.9}} for i, c in enumerate(compute)]
    (folder / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = [{"step": i + 1, "compute/flops": 1e10 * (i + 1), "reward": 0.3 + 0.001 * i} for i in range(100)]
    metrics.append({"event": "preempted", "step": 100})  # non-metric rows are skipped
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in metrics))
    return folder


def test_single_run_with_fit(tmp_path):
    run = make_run(tmp_path / "r")
    assert subprocess.run([sys.executable, "-m", "rlvr.cli", "fit", str(run), "--draws", "50"],
                          capture_output=True, timeout=120).returncode == 0
    paths = plot_runs([run], run)
    assert sorted(p.name for p in paths) == ["accuracy_vs_compute.png", "reward_vs_compute.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG_MAGIC and p.stat().st_size > 10_000


def test_groups_overlaid_without_fit(tmp_path):
    runs = [make_run(tmp_path / f"h{h}-s{s}", seed=s, hidden=h, slope=0.05 * (i + 1))
            for i, h in enumerate((64, 128)) for s in (0, 1)]
    out = tmp_path / "plots"
    paths = plot_runs(runs, out)
    assert (out / "accuracy_vs_compute.png").read_bytes()[:8] == PNG_MAGIC and len(paths) == 2


def test_several_runs_need_an_output_folder(tmp_path):
    runs = [make_run(tmp_path / f"s{s}", seed=s) for s in (0, 1)]
    proc = subprocess.run([sys.executable, "-m", "rlvr.cli", "plot", *map(str, runs)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "--output" in proc.stderr


def test_panels_per_benchmark_and_test_time(tmp_path):
    run = make_run(tmp_path / "r")
    rows = [json.loads(line) for line in (run / "evals.jsonl").read_text().splitlines()]
    shifted = [{**r, "benchmark": "b_shift", "maj@k": {"8": 0.4}, "subsets": {"1": {"pass@1": 0.2, "n": 100}}}
               for r in rows]
    (run / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows + shifted))
    test_time = [{"checkpoint": label, "step": step, "compute_flops": 1e9 * step, "benchmark": b, "k": k,
                  "pass@k": min(1.0, 0.2 + 0.1 * k.bit_length() + step / 1000), "maj@k": 0.3}
                 for step, label in ((0, "base"), (100, "final")) for b in ("b", "b_shift") for k in (1, 2, 4, 8)]
    (run / "test_time.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test_time))
    assert subprocess.run([sys.executable, "-m", "rlvr.cli", "fit", str(run), "--draws", "30"],
                          capture_output=True, timeout=120).returncode == 0
    paths = plot_runs([run], run)
    assert sorted(p.name for p in paths) == ["accuracy_vs_compute.png", "reward_vs_compute.png", "test_time.png"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)


def test_group_labels_name_only_what_differs_sorted_by_size(tmp_path):
    from rlvr.analysis.fit import group_runs
    from rlvr.analysis.plots import group_labels

    runs = []
    for hidden, params in ((128, 1_062_528), (64, 137_792)):
        for seed in (0, 1, 2):
            run = make_run(tmp_path / f"h{hidden}-s{seed}", seed=seed, hidden=hidden)
            (run / "summary.json").write_text(json.dumps({"n_params_flops": params}))
            runs.append(run)
    groups, labels, name = group_labels(group_runs(runs))
    assert labels == ["138k params (seed 0-2)", "1.06M params (seed 0-2)"] and name == "synth"
    assert [g[0].name for g in groups] == ["h64-s0", "h128-s0"]
