"""metrics.jsonl rows and samples.jsonl capping."""

from types import SimpleNamespace

from rlvr.runfolder.folder import RunFolder
from rlvr.runfolder.jsonl import read_jsonl
from rlvr.training.tracker import RunRecorder, SampleWriter


def batch(n):
    return {"prompts": [f"p{i // 4}" for i in range(n)], "completions": [f"c{i}" for i in range(n)],
            "references": ["r"] * n, "rewards": [1.0 if i % 2 else None for i in range(n)],
            "statuses": ["correct" if i % 2 else "bad_reference" for i in range(n)]}


def test_samples_are_capped_and_spread_over_prompts(tmp_path):
    writer = SampleWriter(RunFolder(tmp_path), cap=6, per_batch=4)
    for step in range(1, 4):
        writer.step = step
        writer(batch(16))
    rows = read_jsonl(tmp_path / "samples.jsonl")
    assert len(rows) == 6
    assert len({r["prompt"] for r in rows[:4]}) == 4  # one completion from each of four groups
    assert rows[0]["reward"] is None and rows[0]["status"] == "bad_reference"


def _earlier_attempt(tmp_path, steps):
    run = RunFolder(tmp_path)
    run.attempt = 1
    for step in steps:
        run.append("samples.jsonl", {"step": step, "prompt": "p", "completion": "c", "reference": "r",
                                     "reward": 1.0, "status": "correct"})
    run.attempt = 2
    return run


def test_samples_cap_counts_rows_from_earlier_attempts(tmp_path):
    writer = SampleWriter(_earlier_attempt(tmp_path, range(1, 7)), cap=6, per_batch=4)
    writer.step = 7
    writer(batch(8))
    assert len(read_jsonl(tmp_path / "samples.jsonl")) == 6


def test_a_replayed_step_writes_no_duplicate_samples_and_rows_carry_attempt(tmp_path):
    # attempt 1 sampled steps 1-3 and was killed; attempt 2 resumed from the checkpoint at step 2 and replays step 3
    writer = SampleWriter(_earlier_attempt(tmp_path, [1, 2, 3]), cap=100, per_batch=2)
    for step in (3, 4):
        writer.step = step
        writer(batch(8))
    rows = read_jsonl(tmp_path / "samples.jsonl")
    assert [(r["step"], r["attempt"]) for r in rows] == [(1, 1), (2, 1), (3, 1), (4, 2), (4, 2)]


def test_recorder_writes_one_row_per_log_with_identity(tmp_path):
    run = RunFolder(tmp_path / "run-x")
    run.path.mkdir()
    run.attempt = 2
    rec = RunRecorder(run, wall_offset=100.0)
    state = SimpleNamespace(global_step=0, max_steps=3, is_world_process_zero=True)
    rec.on_train_begin(None, state, None)
    for step in (1, 2):
        state.global_step = step
        rec.on_log(None, state, None, logs={"compute/flops": step * 10.0, "reward": 0.5, "loss": float("nan"),
                                           "time/reward_seconds": 0.0})
    rec.on_log(None, state, None, logs={"train_runtime": 1.0})  # final summary log: not a step row
    rec.on_train_end(None, state, None)
    rows = read_jsonl(run.path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["run_id"] == "run-x" and r["attempt"] == 2 and r["time/wall"] >= 100.0 for r in rows)
    assert rows[0]["loss"] is None and rows[0]["nonfinite"] == ["loss"]
    assert "time/reward_fraction" in rows[0]
