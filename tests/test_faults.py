"""Faults a run must survive without reporting a wrong number: a re-run at max_steps, damaged checkpoints, two
copies on one folder, divergence, two processes, counts over attempts. Each test reproduces the fault with the
real `rlvr train` command on the smoke config (a tiny model pretrained once per session)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, SMOKE, run_rlvr

from rlvr.config import load_config
from rlvr.runfolder.checkpoints import check_checkpoint
from rlvr.runfolder.folder import RunFolder
from rlvr.runfolder.guards import verifier_totals
from rlvr.runfolder.jsonl import read_jsonl


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("faults_cache")


def train(run_dir, cache, *extra, timeout=300):
    return run_rlvr("train", SMOKE, "--run_dir", run_dir, "--cache_dir", cache, *extra, timeout=timeout)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, cache):
    """A finished 4-step smoke run with checkpoints at steps 3 and 4 (a checkpoint every 3 steps + each eval)."""
    run_dir = tmp_path_factory.mktemp("faults") / "run"
    proc = train(run_dir, cache, "--max_steps", "4", "--save_steps", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir


def copy_run(finished, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(finished, target)
    return target


# --- 1. a run stopped at its last step only finishes when run again ------------------------------------------------

def test_rerun_of_a_run_whose_last_checkpoint_is_at_max_steps_trains_no_more(finished, cache, tmp_path):
    run_dir = copy_run(finished, tmp_path)
    (run_dir / "summary.json").unlink()  # a kill between the final checkpoint and summary.json (or SIGTERM there)
    metrics, evals = read_jsonl(run_dir / "metrics.jsonl"), read_jsonl(run_dir / "evals.jsonl")
    proc = train(run_dir, cache, "--max_steps", "4", "--save_steps", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_jsonl(run_dir / "metrics.jsonl") == metrics  # no step 5, no replayed step
    assert read_jsonl(run_dir / "evals.jsonl") == evals  # no extra evaluation point
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == summary["max_steps"] == 4 and summary["attempts"] == 2
    assert not (run_dir / "checkpoints" / "checkpoint-5").exists()


def test_the_final_evaluation_is_run_if_it_is_missing(finished, cache, tmp_path):
    run_dir = copy_run(finished, tmp_path)
    (run_dir / "summary.json").unlink()
    rows = read_jsonl(run_dir / "evals.jsonl")
    (run_dir / "evals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows if r["step"] != 4))
    proc = train(run_dir, cache, "--max_steps", "4", "--save_steps", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = read_jsonl(run_dir / "evals.jsonl")
    assert [r["step"] for r in again] == [r["step"] for r in rows] and again[-1]["attempt"] == 2


# --- 2. damaged checkpoints ----------------------------------------------------------------------------------------

def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = [  # (what is done to checkpoint-4, words of the reason)
    (lambda c: (c / "optimizer.pt").unlink(), "optimizer.pt is missing"),
    (lambda c: (c / "scheduler.pt").unlink(), "scheduler.pt is missing"),
    (lambda c: (c / "rng_state.pth").unlink(), "rng_state.pth is missing"),
    (lambda c: (c / "model.safetensors").unlink(), "weights are missing"),
    (lambda c: _truncate(c / "model.safetensors"), "model.safetensors is truncated"),
    (lambda c: _truncate(c / "optimizer.pt"), "optimizer.pt is damaged"),
    (lambda c: _garble(c / "optimizer.pt"), "optimizer.pt is damaged"),
    (lambda c: (c / "trainer_state.json").write_text("{"), "trainer_state.json is not readable JSON"),
    (lambda c: (c / "ledger.json").unlink(), "ledger.json is missing"),
    (lambda c: (c / "COMPLETE").unlink(), "never finished"),
]


def test_an_intact_checkpoint_passes(finished):
    assert check_checkpoint(finished / "checkpoints" / "checkpoint-4") is None


@pytest.mark.parametrize("damage, reason", DAMAGE)
def test_check_checkpoint_names_the_damage(finished, tmp_path, damage, reason):
    ckpt = tmp_path / "checkpoint-4"
    shutil.copytree(finished / "checkpoints" / "checkpoint-4", ckpt)
    damage(ckpt)
    assert reason in check_checkpoint(ckpt)


def test_a_damaged_newest_checkpoint_falls_back_to_the_older_one_in_one_line(finished, cache, tmp_path):
    run_dir = copy_run(finished, tmp_path)
    (run_dir / "summary.json").unlink()
    (run_dir / "checkpoints" / "checkpoint-4" / "optimizer.pt").unlink()
    proc = train(run_dir, cache, "--max_steps", "4", "--save_steps", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    warning = [line for line in proc.stderr.splitlines() if "checkpoint-4 is damaged" in line]
    assert len(warning) == 1 and "optimizer.pt is missing" in warning[0]
    assert "falling back to checkpoint-3" in warning[0]
    assert "lm_head.weight" not in proc.stderr  # tied weights: no alarming missing-keys message on resume
    replayed = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["attempt"] == 2]
    assert [r["step"] for r in replayed] == [4]  # resumed from step 3, trained step 4 again
    assert json.loads((run_dir / "summary.json").read_text())["steps"] == 4


def test_no_intact_checkpoint_is_refused_in_one_line(finished, cache, tmp_path):
    run_dir = copy_run(finished, tmp_path)
    (run_dir / "summary.json").unlink()
    for ckpt in (run_dir / "checkpoints").glob("checkpoint-*"):
        _truncate(ckpt / "model.safetensors")
    proc = train(run_dir, cache, "--max_steps", "4", "--save_steps", "3")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no intact checkpoint" in proc.stderr and "model.safetensors is truncated" in proc.stderr
    assert not (run_dir / "summary.json").exists()


# --- 3. counts over every attempt and process ----------------------------------------------------------------------

def test_verifier_totals_cover_every_attempt_and_count_a_replayed_step_once(tmp_path):
    run = RunFolder(tmp_path)
    for attempt, steps in ((1, [1, 2, 3]), (2, [3, 4])):  # attempt 2 resumed at step 2 and replayed step 3
        run.attempt = attempt
        for step in steps:
            run.append("metrics.jsonl", {"step": step, "verifier/correct": 10.0 * attempt, "verifier/wrong": 22.0})
    run.append("events.jsonl", {"event": "preempted", "step": 4})
    assert verifier_totals(run) == {"correct": 10 + 10 + 20 + 20, "wrong": 4 * 22}


# --- 4. one writer per run folder ----------------------------------------------------------------------------------

def test_a_second_copy_on_a_locked_run_folder_exits_naming_the_holder(cache, tmp_path):
    cfg, _ = load_config(SMOKE, ["--run_dir", str(tmp_path / "run"), "--cache_dir", str(cache)])
    run = RunFolder(tmp_path / "run")
    with run.writer(cfg):
        proc = train(tmp_path / "run", cache)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"is in use by process {os.getpid()}" in proc.stderr
    assert read_jsonl(tmp_path / "run" / "metrics.jsonl") == []


def test_the_lock_dies_with_its_process(cache, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom rlvr.config import load_config\nfrom rlvr.runfolder.folder import RunFolder\n"
        f"cfg, _ = load_config({str(SMOKE)!r}, ['--run_dir', {str(tmp_path / 'run')!r}])\n"
        f"w = RunFolder({str(tmp_path / 'run')!r}).writer(cfg)\nw.__enter__()\nprint('locked', flush=True)\n"
        "time.sleep(600)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()  # SIGKILL: no clean-up code runs
    holder.wait()
    cfg, _ = load_config(SMOKE, ["--run_dir", str(tmp_path / "run")])
    with RunFolder(tmp_path / "run").writer(cfg) as attempt:
        assert attempt == 2  # the killed holder used up attempt 1 before writing any row


# --- 9. divergence -------------------------------------------------------------------------------------------------

def test_divergence_stops_with_one_line_an_event_and_no_checkpoint_of_that_step(cache, tmp_path):
    proc = train(tmp_path / "run", cache, "--learning_rate", "1e30", "--max_steps", "30", "--save_steps", "1")
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "training diverged at step" in proc.stderr
    assert "learning_rate" in proc.stderr.splitlines()[-1]
    (event,) = [e for e in read_jsonl(tmp_path / "run" / "events.jsonl") if e["event"] == "diverged"]
    assert event["key"] in ("loss", "grad_norm")
    assert not (tmp_path / "run" / "checkpoints" / f"checkpoint-{event['step']}").exists()
    assert not (tmp_path / "run" / "summary.json").exists()


# --- 7. two processes ----------------------------------------------------------------------------------------------

def test_two_processes_count_both_ranks_write_each_row_once_and_save_together(cache, tmp_path):
    """torchrun with 2 CPU processes (gloo), save_steps > 1 so the evaluation points decide extra saves."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    run_dir = tmp_path / "run"
    proc = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", "29533", "-m", "rlvr.cli", "train",
                           str(SMOKE), "--run_dir", str(run_dir), "--cache_dir", str(cache), "--max_steps", "6",
                           "--save_steps", "4"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-4000:]
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    assert [r["step"] for r in metrics] == [1, 2, 3, 4, 5, 6]  # each row once
    per_step = 8 * 4  # prompts_per_step * num_generations, split over the two processes
    for row in metrics:
        assert sum(v for k, v in row.items() if k.startswith("verifier/") and k != "verifier/unscored") == per_step
    evals = read_jsonl(run_dir / "evals.jsonl")
    assert len(evals) == len({r["step"] for r in evals}) and evals[0]["step"] == 0  # one evaluation per point
    newest = max((run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert (newest / "rng_state_0.pth").exists() and (newest / "rng_state_1.pth").exists()  # both ranks saved
    summary = json.loads((run_dir / "summary.json").read_text())
    assert sum(summary["verifier_statuses"].values()) - summary["verifier_statuses"]["unscored"] == 6 * per_step
