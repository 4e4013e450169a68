"""`rlvr verify` and `rlvr audit` exactly as DESIGN.md describes: JSON for a pair, JSONL in input order."""

import json
import subprocess
import sys

import pytest

RLVR = [sys.executable, "-m", "rlvr.cli"]


def rlvr(*args, stdin=None):
    return subprocess.run([*RLVR, *args], capture_output=True, text=True, timeout=120, input=stdin)


def test_single_pair_prints_one_json_object():
    proc = rlvr("verify", "--verifier", "math", "--completion", r"so \boxed{4}", "--reference", "4")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"reward": 1.0, "status": "correct", "detail": ""}


def test_file_in_input_order_with_bad_lines(tmp_path):
    lines = [json.dumps({"completion": r"\boxed{2}", "reference": "2"}), "not json",
             json.dumps({"completion": "x", "reference": r"\frac{1}{"}), json.dumps({"completion": "7"}),
             json.dumps({"completion": r"\boxed{x^2}", "reference": "x*x"}),
             json.dumps({"completion": "#### 5", "reference": "6"})]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n")
    proc = rlvr("verify", "--verifier", "math", "--input", str(src), "--output", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["reward"], r["status"]) for r in rows] == [
        (1.0, "correct"), (None, "bad_input"), (None, "bad_reference"), (None, "bad_input"), (1.0, "correct"),
        (0.0, "wrong")]


def test_stdin_to_stdout():
    proc = rlvr("verify", "--verifier", "math", "--input", "-",
                stdin=json.dumps({"completion": "46", "reference": "46"}) + "\n")
    assert proc.returncode == 0 and json.loads(proc.stdout)["reward"] == 1.0


@pytest.mark.parametrize("args, message", [
    (["--verifier", "mtah", "--completion", "1", "--reference", "1"], "unknown verifier 'mtah'.*Did you mean 'math'"),
    (["--verifier", "math", "--completion", "1"], "give either"),
    (["--verifier", "math", "--input", "/no/such/file.jsonl"], "No such file"),
    (["--verifier", "math", "--input", "x", "--completion", "1", "--reference", "1"], "give either"),
    (["--verifier", "math", "--completion", "1", "--reference", "1", "--workers", "0"], "--workers"),
])
def test_usage_errors_exit_2_without_traceback(args, message):
    import re

    proc = rlvr("verify", *args)
    assert proc.returncode == 2 and re.search(message, proc.stderr) and "Traceback" not in proc.stderr


def test_audit_lists_bad_references(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"answer": a}) for a in ["42", r"\frac{1}{2}", r"\frac{1}{", "x^2", ""])
                    + "\nnot json\n")
    proc = rlvr("audit", "--input", str(data))
    assert proc.returncode == 1
    assert "line 3" in proc.stdout and "line 5" in proc.stdout and "line 6" in proc.stdout
    assert "3/6 references usable" in proc.stdout


def test_audit_clean_file_exits_0(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"ref": a}) for a in ["1", "2.5", r"\sqrt{2}"]) + "\n")
    proc = rlvr("audit", "--input", str(data), "--reference-key", "ref")
    assert proc.returncode == 0 and "3/3" in proc.stdout


def test_audit_of_a_config(tmp_path):
    proc = rlvr("audit", "--config", "configs/smoke.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
