"""Code RL end to end: the `pbe` task's references through the sandbox, and two GRPO steps with the `code` verifier."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.config import config_from_dict
from rlvr.runfolder.jsonl import read_jsonl
from rlvr.tasks.pbe import distractor, heldout_chains, program
from verifiers import get_verifier

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def code_verifier():
    verifier = get_verifier("code")
    yield verifier
    verifier.close()


def test_pbe_references_accept_the_right_program_only(code_verifier):
    cfg = config_from_dict({"task": "pbe", "verifier": "code", "heldout_size": 8, "eval_problems": 8,
                            "task_options": {"train_size": 10}})
    _, held = cfg.make_task().splits(cfg)
    rng, pairs = random.Random(0), []
    for chain, row in zip(heldout_chains(8, 3, 0.2), held, strict=True):
        pairs += [(program(chain), row["reference"]), (program(distractor(chain, rng)), row["reference"]),
                  ("def f(s):return s", row["reference"])]
    rewards = [v.reward for v in code_verifier.verify_batch(pairs)]
    assert rewards == [1.0, 0.0, 0.0] * 8


def test_two_grpo_steps_with_the_code_verifier(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rlvr.cli", "train", str(REPO / "configs" / "code_smoke.yaml"),
                           "--output_dir", str(tmp_path / "runs"), "--cache_dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    run_dir = next((tmp_path / "runs").iterdir())
    rows = read_jsonl(run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2] and rows[-1]["compute/flops"] > 0
    for row in rows:  # every completion got a sandbox verdict; none was an infrastructure failure
        counts = {k.split("/", 1)[1]: v for k, v in row.items()
                  if k.startswith("verifier/") and k != "verifier/unscored"}
        assert sum(counts.values()) == 16 and counts["infra"] == 0 and counts["bad_reference"] == 0
    assert "rewards/code/mean" in rows[0]
