"""`rlvr verify` exactly as DESIGN.md describes: one JSON object for a pair, JSONL in input order for a file."""

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
             json.dumps({"completion": "#### 5", "reference": "6"}), "", "[1, 2]", "null",
             json.dumps({"completion": "The answer is 72", "reference": 72}),
             json.dumps({"completion": 5, "reference": "5"})]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n")
    proc = rlvr("verify", "--verifier", "math", "--input", str(src), "--output", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["reward"], r["status"]) for r in rows] == [
        (1.0, "correct"), (None, "bad_input"), (None, "bad_reference"), (None, "bad_input"), (1.0, "correct"),
        (0.0, "wrong"), (None, "bad_input"), (None, "bad_input"), (None, "bad_input"), (1.0, "correct"),
        (None, "bad_input")]


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


def test_garbage_bytes_and_a_huge_line_never_abort_the_file(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\xff\xfe\x00garbage\n" + json.dumps({"completion": "x" * 1_000_000, "reference": "1"}).encode()
                    + b"\n" + json.dumps({"completion": "\x00\\boxed{3}", "reference": "3"}).encode() + b"\n")
    proc = rlvr("verify", "--verifier", "math", "--input", str(src), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["bad_input", "no_answer", "correct"]


def test_verify_is_generic_over_registered_verifiers(tmp_path):
    """Any registered verifier works; here a plug-in registered in a module on the path."""
    plugin = tmp_path / "exact_plugin.py"
    plugin.write_text("from verifiers import Verdict, Verifier, register\n\n@register('exactplug')\n"
                      "class Exact(Verifier):\n    def verify(self, c, r):\n"
                      "        return Verdict(float(c == r), 'same' if c == r else 'differs')\n")
    code = ("import sys, exact_plugin; from rlvr.cli import main; "
            "sys.exit(main(['verify', '--verifier', 'exactplug', '--completion', 'a', '--reference', 'a']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"reward": 1.0, "status": "same", "detail": ""}


def test_verify_start_up_imports_no_heavy_library():
    code = ("import sys; from rlvr.cli import main; main(['verify', '--verifier', 'math', '--completion', "
            "'The answer is 46', '--reference', '46']); "
            "print(sorted(m for m in ('torch', 'transformers', 'trl', 'sympy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
