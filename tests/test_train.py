"""GRPO end to end on CPU with tiny local models: two real TRL steps, the ledger, resume after kill -9, refusal
of a different config, and the real-model path (local HF folder + local JSONL, as configs/gsm8k_qwen.yaml)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import torch
from conftest import REPO, SMOKE, start_rlvr

from rlvr.config import load_config
from rlvr.runfolder.jsonl import read_jsonl

REQUIRED_METRICS = ("step", "compute/flops", "compute/flops_generate", "compute/flops_train", "tokens/total",
                    "tokens/step", "time/wall", "reward", "run_id", "attempt")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("train")


def smoke(workdir: Path, *extra: str):
    return load_config(SMOKE, ["--output_dir", str(workdir / "runs"), "--cache_dir", str(workdir / "cache"), *extra])


def test_two_grpo_steps_change_parameters_and_count_flops(workdir):
    from rlvr.runfolder.folder import RunFolder
    from rlvr.training.train import build_trainer

    cfg, _ = smoke(workdir)
    run_dir = workdir / "direct"
    run = RunFolder(run_dir)
    with run.writer(cfg):  # creates the folder and numbers the attempt
        pass
    trainer, ledger, reward_fn, _, evaluator = build_trainer(cfg, run)
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    prompts: list[str] = []
    sink = reward_fn.on_batch
    reward_fn.on_batch = lambda batch: (prompts.extend(batch["prompts"]), sink(batch))
    trainer.train()

    assert trainer.state.global_step == 2
    changed = [k for k, v in trainer.model.named_parameters() if not torch.equal(before[k], v.detach())]
    assert changed, "two GRPO steps left every parameter unchanged"
    assert ledger.flops > 0

    # Independent count: tokenise the prompts TRL was given, add the completion ids it generated.
    tok = trainer.processing_class
    prompt_tokens = sum(len(tok(p)["input_ids"]) for p in prompts)
    independent_tokens = prompt_tokens + reward_fn.completion_tokens
    assert ledger.tokens == independent_tokens
    assert ledger.flops == pytest.approx(ledger.per_token.total * independent_tokens)
    assert ledger.per_token.total == 8 * ledger.n_params  # beta 0, mu 1, aligned steps: 2N + 6N per token

    rows = read_jsonl(run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        assert all(k in row for k in REQUIRED_METRICS), [k for k in REQUIRED_METRICS if k not in row]
    assert rows[-1]["compute/flops"] == ledger.flops
    assert rows[0]["compute/flops"] < rows[1]["compute/flops"]
    evals = read_jsonl(run_dir / "evals.jsonl")
    assert [e["compute_flops"] > 0 for e in evals] == [False, True, True]  # base model first
    assert evals[0]["step"] == 0 and evals[-1]["compute_flops"] == ledger.flops
    assert all(0 <= e["pass@1"] <= 1 and e["eval_flops"] > 0 for e in evals)


def rlvr(*args: str):
    return start_rlvr(*args, env={"PYTHONUNBUFFERED": "1"})


def test_kill_9_then_same_command_resumes(workdir):
    args = ["train", str(SMOKE), "--output_dir", str(workdir / "runs"), "--cache_dir", str(workdir / "cache"),
            "--max_steps", "40", "--save_steps", "4"]
    proc = rlvr(*args)
    runs = workdir / "runs"
    deadline = time.time() + 240
    ckpt = None
    while time.time() < deadline and proc.poll() is None:
        found = list(runs.glob("*-max_steps=40-*/checkpoints/checkpoint-8/COMPLETE"))
        if found:
            ckpt = found[0]
            break
        time.sleep(0.05)
    assert ckpt is not None, "no checkpoint appeared before the deadline"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run_dir = ckpt.parents[2]
    steps_before = [r["step"] for r in read_jsonl(run_dir / "metrics.jsonl")]
    assert not (run_dir / "summary.json").exists() and max(steps_before) < 40

    proc = rlvr(*args)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    assert "resuming" in out
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    second = [r["step"] for r in metrics if r["attempt"] == 2]
    newest = max(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("checkpoint-*"))
    assert second[0] > 1 and second[-1] == 40 and newest == 40  # continued, did not start over
    assert set(range(1, 41)) <= {r["step"] for r in metrics}
    eval_steps = [r["step"] for r in read_jsonl(run_dir / "evals.jsonl")]
    assert len(eval_steps) == len(set(eval_steps)), f"duplicated eval rows {eval_steps}"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == 40 and summary["compute_flops"] > 0

    # The same command on a complete run does nothing and says where it is.
    proc = rlvr(*args)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "complete" in out and str(run_dir) in out


def test_sigterm_checkpoints_marks_preempted_and_exits_nonzero(workdir):
    args = ["train", str(SMOKE), "--output_dir", str(workdir / "runs"), "--cache_dir", str(workdir / "cache"),
            "--max_steps", "300", "--save_steps", "100"]
    proc = rlvr(*args)
    deadline = time.time() + 240
    metrics = []
    while time.time() < deadline and proc.poll() is None and not metrics:
        metrics = [p for p in (workdir / "runs").glob("*-max_steps=300-*/metrics.jsonl") if len(read_jsonl(p)) >= 5]
        time.sleep(0.05)
    assert metrics, "training did not start before the deadline"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 143, out[-3000:]
    run_dir = metrics[0].parent
    events = read_jsonl(run_dir / "events.jsonl")
    assert events[-1]["event"] == "preempted"
    stopped = events[-1]["step"]
    # the event lives apart from the metrics, so it never shadows its step's metrics row (a reader keeping the last
    # row per step still sees the reward of the step the run stopped at)
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    assert all("event" not in r for r in metrics) and metrics[-1]["step"] == stopped and "reward" in metrics[-1]
    assert (run_dir / "checkpoints" / f"checkpoint-{stopped}" / "COMPLETE").exists()
    assert not (run_dir / "summary.json").exists() and stopped < 300


def test_different_config_into_existing_run_folder_is_refused(workdir):
    target = workdir / "runs" / "fixed"
    first = rlvr("train", str(SMOKE), "--run_dir", str(target), "--cache_dir", str(workdir / "cache"))
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, out[-3000:]
    for checkpoint in ("latest", "base"):  # rlvr eval on the finished run: one evals.jsonl-shaped JSON object
        proc = rlvr("eval", str(target), "--checkpoint", checkpoint, "--problems", "4")
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-3000:]
        row = json.loads(out[out.index("{"):])
        assert row["n"] == 4 and 0 <= row["pass@1"] <= 1 and row["eval_flops"] > 0
        assert ("checkpoint-" in row["model"]) is (checkpoint == "latest")
    second = rlvr("train", str(SMOKE), "--run_dir", str(target), "--cache_dir", str(workdir / "cache"),
                  "--seed", "1")
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 2 and "different config" in out and "seed" in out and "Traceback" not in out


def test_real_model_config_path_on_local_files(workdir, tiny_hf_model):
    """configs/gsm8k_qwen.yaml with the hub names swapped for a local model folder and a local GSM8K-style JSONL."""
    model_dir, data = tiny_hf_model, workdir / "gsm8k.jsonl"
    with open(data, "w") as fh:
        for i in range(40):
            fh.write(json.dumps({"question": f"Tom has {i} apples and buys 2. How many?",
                                 "answer": f"He has {i} + 2 = {i + 2} apples.\n#### {i + 2}"}) + "\n")
    overrides = ["--model_name_or_path", str(model_dir), "--dataset_path", str(data), "--dataset_config", "null",
                 "--dataset_eval_split", "null", "--heldout_size", "8", "--eval_problems", "4",
                 "--use_vllm", "false", "--bf16", "false", "--gradient_checkpointing", "false",
                 "--max_steps", "2", "--prompts_per_step", "2", "--num_generations", "2",
                 "--gradient_accumulation_steps", "1", "--max_completion_length", "6", "--eval_max_new_tokens", "6",
                 "--eval_samples_per_problem", "2", "--eval_k", "2", "--reward_workers", "1",
                 "--output_dir", str(workdir / "runs")]
    proc = rlvr("train", str(REPO / "configs" / "gsm8k_qwen.yaml"), *overrides)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    run_dir = Path(out.strip().splitlines()[-1].split("run folder: ")[1])
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    assert [r["step"] for r in metrics] == [1, 2] and metrics[-1]["compute/flops"] > 0
    samples = read_jsonl(run_dir / "samples.jsonl")
    assert samples and all(s["reference"] == str(int(s["reference"])) for s in samples)  # '#### n' extracted
    assert (run_dir / "summary.json").exists()
