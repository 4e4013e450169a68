"""Code RL end to end: two GRPO steps on the procedural `linfn` task with the sandboxed `code` verifier."""

import json
import subprocess
import sys
from pathlib import Path

from rlvr.config import config_from_dict
from rlvr.jsonl import read_jsonl
from verifiers import get_verifier

REPO = Path(__file__).resolve().parent.parent


def test_linfn_references_accept_the_right_program_only():
    cfg = config_from_dict({"task": "linfn", "verifier": "code", "heldout_size": 4, "eval_problems": 4,
                            "task_options": {"coefficient_max": 4, "train_size": 10}})
    train, held = cfg.make_task().splits(cfg)
    assert not {r["question"] for r in held} & {r["question"] for r in train}
    test = json.loads(train[0]["reference"])["test"]
    a, b = _coefficients(train[0]["question"])
    verifier = get_verifier("code")
    try:
        verdicts = verifier.verify_batch([(f"def f(x):return {a}*x+{b}", train[0]["reference"]),
                                          (f"def f(x):return {a}*x+{b + 1}", train[0]["reference"]),
                                          ("def f(x):return x+" + str(a + b - 1), train[0]["reference"])])
    finally:
        verifier.close()
    assert [v.reward for v in verdicts] == [1.0, 0.0, 0.0] and "check(candidate)" in test


def _coefficients(question: str) -> tuple[int, int]:
    values = [int(part.split("=")[1]) for part in question.split()]
    a = values[1] - values[0]  # shown x are 1, 2, 4
    return a, values[0] - a


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
