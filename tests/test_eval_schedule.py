"""Evaluation at log-spaced compute: buckets, base point, every benchmark at every point, no duplicates on resume."""

from types import SimpleNamespace

import pytest

from rlvr.evaluation.benchmarks import Benchmark
from rlvr.runfolder.folder import RunFolder
from rlvr.runfolder.jsonl import append_jsonl, read_jsonl
from rlvr.training.eval_schedule import LogSpacedEvaluator, log_bucket


@pytest.mark.parametrize("compute, bucket", [(1.0, 0), (2.0, 0), (2.16, 1), (10.0, 3), (99.0, 5), (100.0, 6)])
def test_log_bucket(compute, bucket):
    assert log_bucket(compute, 1.0, 3) == bucket


class FakeResult:
    def row(self, step, compute_flops, benchmark, ks):
        return {"step": step, "compute_flops": compute_flops, "benchmark": benchmark, "pass@1": 0.5,
                "pass@k": {str(k): 0.9 for k in ks}, "eval_seconds": 1.0}


def drive(evaluator, steps, per_step_flops, max_steps):
    state = SimpleNamespace(global_step=0, max_steps=max_steps, is_world_process_zero=True)
    control = SimpleNamespace(should_save=False)
    evaluator.on_train_begin(None, state, control)
    saved = []
    for step in steps:
        state.global_step = step
        control.should_save = False
        evaluator.on_log(None, state, control, logs={"compute/flops": step * per_step_flops})
        if control.should_save:
            saved.append(step)
    return saved


def make(tmp_path, calls, names=("add_heldout",)):
    run = RunFolder(tmp_path)
    run.attempt = 1
    benches = [Benchmark(name, [], None, None, (8,)) for name in names]
    return LogSpacedEvaluator(run, benches, points_per_decade=3,
                              evaluate_fn=lambda b, m, t: calls.append(b.name) or FakeResult())


def test_points_are_log_spaced_with_base_and_final(tmp_path):
    calls = []
    saved = drive(make(tmp_path, calls), range(1, 257), 1e9, 256)
    steps = [r["step"] for r in read_jsonl(tmp_path / "evals.jsonl")]
    assert steps == [0, 1, 3, 5, 10, 22, 47, 100, 216, 256]
    assert saved == steps[1:]  # a checkpoint at every evaluated point
    assert read_jsonl(tmp_path / "evals.jsonl")[0]["compute_flops"] == 0


def test_resume_does_not_duplicate_rows(tmp_path):
    calls = []
    drive(make(tmp_path, calls), range(1, 60), 1e9, 256)  # killed at step 59
    first = [r["step"] for r in read_jsonl(tmp_path / "evals.jsonl")]
    drive(make(tmp_path, calls), range(48, 257), 1e9, 256)  # resumed from checkpoint-47
    steps = [r["step"] for r in read_jsonl(tmp_path / "evals.jsonl")]
    assert steps[:len(first)] == first and len(steps) == len(set(steps))
    assert steps == [0, 1, 3, 5, 10, 22, 47, 100, 216, 256]


def test_existing_row_at_step_is_not_repeated(tmp_path):
    append_jsonl(tmp_path / "evals.jsonl", [
        {"step": 0, "compute_flops": 0.0, "benchmark": "add_heldout"},
        {"step": 1, "compute_flops": 1e9, "benchmark": "add_heldout"},
    ])
    calls = []
    drive(make(tmp_path, calls), [1, 2], 1e9, 2)
    assert [r["step"] for r in read_jsonl(tmp_path / "evals.jsonl")] == [0, 1, 2]
    assert len(calls) == 1


def test_resume_with_several_benchmarks_never_repeats_a_row(tmp_path):
    names = ("add_heldout", "add_3digit", "add_prompt")
    calls = []
    drive(make(tmp_path, calls, names), range(1, 60), 1e9, 256)  # killed at step 59
    rows = read_jsonl(tmp_path / "evals.jsonl")
    # killed between benchmarks at step 100: only the first benchmark has its row
    append_jsonl(tmp_path / "evals.jsonl", {"step": 100, "compute_flops": 1e11, "benchmark": "add_heldout"})
    calls.clear()
    drive(make(tmp_path, calls, names), range(48, 257), 1e9, 256)  # resumed from checkpoint-47
    rows = read_jsonl(tmp_path / "evals.jsonl")
    keys = [(r["step"], r["benchmark"]) for r in rows]
    assert len(keys) == len(set(keys))
    for name in names:
        assert [s for s, b in keys if b == name] == [0, 1, 3, 5, 10, 22, 47, 100, 216, 256]
    assert calls.count("add_heldout") == 2 and calls.count("add_3digit") == 3  # 216, 256 (+100 for the others)


def test_summary_per_benchmark_with_eval_share(tmp_path):
    calls = []
    ev = make(tmp_path, calls, ("a", "b"))
    drive(ev, range(1, 11), 1e9, 10)
    summary = ev.summary(run_seconds=100.0)
    assert set(summary["benchmarks"]) == {"a", "b"} and summary["eval_points"] == 5
    assert summary["benchmarks"]["b"]["final_pass@1"] == 0.5
    assert summary["eval_fraction_of_run_time"] == 0.1  # 10 rows of 1 s each in 100 s
