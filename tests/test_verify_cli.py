"""`rlvr verify` exactly as DESIGN.md describes: one JSON object for a pair, JSONL in input order for a file."""

import json
import subprocess
import sys

import pytest
from conftest import run_rlvr


def test_single_pair_prints_one_json_object():
    proc = run_rlvr("verify", "--verifier", "math", "--completion", r"so \boxed{4}", "--reference", "4")
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
    proc = run_rlvr("verify", "--verifier", "math", "--input", str(src), "--output", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["reward"], r["status"]) for r in rows] == [
        (1.0, "correct"), (None, "bad_input"), (None, "bad_reference"), (None, "bad_input"), (1.0, "correct"),
        (0.0, "wrong"), (None, "bad_input"), (None, "bad_input"), (None, "bad_input"), (1.0, "correct"),
        (None, "bad_input")]


def test_stdin_to_stdout():
    proc = run_rlvr("verify", "--verifier", "math", "--input", "-",
                input=json.dumps({"completion": "46", "reference": "46"}) + "\n")
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

    proc = run_rlvr("verify", *args)
    assert proc.returncode == 2 and re.search(message, proc.stderr) and "Traceback" not in proc.stderr


def test_garbage_bytes_and_a_huge_line_never_abort_the_file(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\xff\xfe\x00garbage\n" + json.dumps({"completion": "x" * 1_000_000, "reference": "1"}).encode()
                    + b"\n" + json.dumps({"completion": "\x00\\boxed{3}", "reference": "3"}).encode() + b"\n")
    proc = run_rlvr("verify", "--verifier", "math", "--input", str(src), "--output", str(out))
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


def test_nested_json_reference_is_serialised_for_the_verifier(tmp_path):
    """A reference written inline as a JSON object reaches the verifier as its JSON text (here: exactly that text
    is the reference the plug-in compares with)."""
    plugin = tmp_path / "echo_plugin.py"
    plugin.write_text("import json\nfrom verifiers import Verdict, Verifier, register\n\n@register('echoref')\n"
                      "class Echo(Verifier):\n    def verify(self, c, r):\n"
                      "        return Verdict(float(json.loads(r) == json.loads(c)), 'same', r)\n")
    ref = {"test": "def check(candidate):\n    assert candidate(2) == 4\n", "entry_point": "sq", "n": [1, {"a": 2}]}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"completion": json.dumps(ref), "reference": ref}) + "\n"
                   + json.dumps({"completion": "[1, 2]", "reference": [1, 2]}) + "\n")
    code = ("import sys, echo_plugin; from rlvr.cli import main; "
            f"sys.exit(main(['verify', '--verifier', 'echoref', '--input', {str(src)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["reward"] for r in rows] == [1.0, 1.0]
    assert json.loads(rows[0]["detail"]) == ref


OPTION_PLUGIN = ("from dataclasses import dataclass\nfrom verifiers import Verdict, Verifier, register, option\n\n"
                 "@dataclass(frozen=True)\nclass O:\n"
                 "    scale: float = option(1.0, 'shown in the detail', low=0, high=9)\n"
                 "    label: str = option('same', 'the status of a match')\n\n"
                 "@register('optplug')\nclass P(Verifier):\n    Options = O\n    def verify(self, c, r):\n"
                 "        return Verdict(float(c == r), self.options.label, f'scale={self.options.scale}')\n")


@pytest.mark.parametrize("args, detail, status", [
    ([], "scale=1.0", "same"),
    (["--verifier_options", '{"scale": 9, "label": "eq"}'], "scale=9.0", "eq"),
    (["--option", "scale=4.5", "--option", "label=match"], "scale=4.5", "match"),
    (["--verifier_options", '{"scale": 9}', "--option", "scale=0"], "scale=0.0", "same"),  # --option wins
])
def test_verifier_options_from_the_command_line(tmp_path, args, detail, status):
    (tmp_path / "opt_plugin.py").write_text(OPTION_PLUGIN)
    code = ("import sys, opt_plugin; from rlvr.cli import main; "
            f"sys.exit(main(['verify', '--verifier', 'optplug', '--completion', 'a', '--reference', 'a', *{args!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"reward": 1.0, "status": status, "detail": detail}


@pytest.mark.parametrize("args, message", [
    (["--verifier_options", "{bad json"], "--verifier_options is not valid JSON"),
    (["--verifier_options", "[1]"], "must be a JSON object"),
    (["--option", "novalue"], "must be KEY=VALUE"),
    (["--option", "timeuot=3"], "unknown option 'timeuot'.*Did you mean 'timeout'"),
    (["--option", "timeout=-1"], "timeout"),
])
def test_bad_verifier_options_are_one_line(args, message):
    import re

    proc = run_rlvr("verify", "--verifier", "math", "--completion", "1", "--reference", "1", *args)
    assert proc.returncode == 2 and re.search(message, proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_help_lists_every_verifiers_options_and_keeps_examples_on_their_lines():
    from verifiers import get_verifier_class, list_verifiers

    proc = run_rlvr("verify", "--help")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "    rlvr verify --verifier code --input pairs.jsonl --output verdicts.jsonl" in lines
    for name in list_verifiers():
        assert f"  {name}:" in lines
        for field in get_verifier_class(name).Options.__dataclass_fields__:
            assert any(line.startswith(f"    {field} (") for line in lines), (name, field)
    assert any(line.startswith("    wall_seconds (float, default 6.0): wall-clock limit") for line in lines)


def test_unwritable_output_is_one_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"completion": "1", "reference": "1"}) + "\n")
    proc = run_rlvr("verify", "--verifier", "math", "--input", str(src),
                    "--output", str(tmp_path / "no" / "out.jsonl"))
    assert proc.returncode == 2 and "--output" in proc.stderr and "Traceback" not in proc.stderr
