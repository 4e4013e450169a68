"""The `code` verifier's policy without attacks: extraction, references, output comparison, limits, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _sandbox_helpers import fn_ref, io_ref, sandbox_skip_reason  # noqa: E402

from verifiers.code import extract_code, normalize_output, parse_reference  # noqa: E402

needs_sandbox = pytest.mark.skipif(sandbox_skip_reason() is not None, reason=str(sandbox_skip_reason()))

# A25: extraction
EXTRACT = [
    ("no-fence-whole-completion", "def f():\n    return 1\n", "def f():\n    return 1\n"),
    ("last-python-block-wins", "```python\nwrong = 1\n```\ntext\n```python\nright = 2\n```", "right = 2\n"),
    ("py-and-untagged-blocks", "```py\na = 1\n```\n```\nb = 2\n```", "b = 2\n"),
    ("unclosed-fence-ignored", "```python\nok = 1\n```\n```python\ncut = 2", "ok = 1\n"),
    ("only-unclosed-fence", "```python\ncut = 2\n", None),
    ("other-language-only", "```cpp\nint main() {}\n```", None),
    ("python-after-cpp", "```cpp\nint x;\n```\n```Python\nx = 1\n```", "x = 1\n"),
    ("empty", "   \n", None),
    ("empty-block", "```python\n\n```", None),
]


@pytest.mark.parametrize("completion,code", [r[1:] for r in EXTRACT], ids=[r[0] for r in EXTRACT])
def test_extract_code(completion, code):
    assert extract_code(completion) == code


BAD_REFERENCES = [
    ("not-json", "check(x)"),
    ("json-list", "[1, 2]"),
    ("both-schemas", json.dumps({"test": "def check(c): pass", "entry_point": "f", "stdin_stdout": []})),
    ("neither", json.dumps({"tests": []})),
    ("no-check", json.dumps({"test": "def test(c): pass", "entry_point": "f"})),
    ("syntax-error", json.dumps({"test": "def check(c):\n  assert (", "entry_point": "f"})),
    ("bad-entry-point", json.dumps({"test": "def check(c): pass", "entry_point": "os.system"})),
    ("empty-cases", json.dumps({"stdin_stdout": []})),
    ("case-not-strings", json.dumps({"stdin_stdout": [{"input": 1, "output": "1"}]})),
]


# A test that does not compile, or defines check only where the cheap check cannot tell, is caught by the judge,
# which compiles it anyway (so verify() needs the sandbox for these); check_reference (rlvr audit) parses it.
JUDGE_CAUGHT = {"syntax-error", "check-in-a-string", "check-not-a-function"}
BAD_REFERENCES += [
    ("check-in-a-string", json.dumps({"test": "x = \"\"\"\ndef check(c): pass\n\"\"\"\n", "entry_point": "f"})),
    ("check-not-a-function", json.dumps({"test": "def check(c):\n    pass\ncheck = 3\n", "entry_point": "f"})),
]


@pytest.mark.parametrize("name,reference", BAD_REFERENCES, ids=[r[0] for r in BAD_REFERENCES])
def test_bad_reference_rejected(name, reference):
    from verifiers import get_verifier

    if name in JUDGE_CAUGHT and sandbox_skip_reason():
        pytest.skip(sandbox_skip_reason())
    with get_verifier("code", workers=1) as v:
        if name != "check-not-a-function":  # a check() replaced at run time: only running the test can tell
            assert v.check_reference(reference)
            with pytest.raises(ValueError):
                parse_reference(reference)
        verdict = v.verify("def f(x):\n    return x\n", reference)
        assert (verdict.reward, verdict.status) == (None, "bad_reference"), verdict


def test_good_references_accepted():
    from verifiers import get_verifier

    v = get_verifier("code")
    assert v.check_reference(fn_ref("def check(candidate):\n    assert candidate(1) == 1\n", "f")) is None
    assert v.check_reference(io_ref(("1", "1"))) is None


@pytest.mark.parametrize("text,lines", [
    ("1\n2\n", ["1", "2"]), ("1  \r\n2\t\r\n\n\n", ["1", "2"]), (" 1", [" 1"]), ("", []), ("\n\n", []),
    ("a\n\nb", ["a", "", "b"]),
])
def test_normalize_output(text, lines):
    assert normalize_output(text) == lines


# A30 / D5 / D6: limits are validated where they enter
@pytest.mark.parametrize("overrides", [
    {"wall_seconds": 0}, {"wall_seconds": -1}, {"wall_seconds": None}, {"wall_seconds": "6"},
    {"memory_bytes": -1}, {"cpu_seconds": 0}, {"cpu_seconds": 1.5}, {"output_bytes": float("inf")},
    {"processes": True}, {"wall_seconds": float("nan")}, {"no_such_limit": 1},
])
def test_bad_limits_rejected(overrides):
    from verifiers import get_verifier

    with pytest.raises(ValueError):
        get_verifier("code", **overrides)


@pytest.mark.parametrize("name,value", [
    ("RLVR_CODE_WALL_SECONDS", "0"), ("RLVR_CODE_WALL_SECONDS", "abc"), ("RLVR_CODE_MEMORY_BYTES", "-1"),
    ("RLVR_CODE_CPU_SECONDS", ""), ("RLVR_CODE_TMP_BYTES", "nan"),
])
def test_bad_env_limits_rejected(monkeypatch, name, value):
    from verifiers import get_verifier

    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name.removeprefix("RLVR_CODE_").lower() + "|" + name):
        get_verifier("code")


def test_env_limits_parsed(monkeypatch):
    from verifiers import get_verifier

    monkeypatch.setenv("RLVR_CODE_WALL_SECONDS", "2.5")
    monkeypatch.setenv("RLVR_CODE_CPU_SECONDS", "3")
    v = get_verifier("code")
    assert (v.limits.wall_seconds, v.limits.cpu_seconds) == (2.5, 3)


def test_no_code_is_format_without_running_anything():
    from verifiers import get_verifier

    v = get_verifier("code")
    assert v.verify("I don't know.\n```text\nhmm\n```", io_ref(("", ""))).status == "format"
    assert v._sandbox.launcher_pid() is None  # nothing was started


@needs_sandbox
def test_batch_order_and_counts():
    from verifiers import get_verifier

    ref = fn_ref("def check(candidate):\n    assert candidate(2) == 4\n", "sq")
    pairs = [("def sq(x):\n    return x * x\n", ref), ("def sq(x):\n    return x\n", ref), ("no code ```", ref),
             ("print(1)", "not json")] * 3
    with get_verifier("code") as v:
        verdicts = v.verify_batch(pairs, workers=3)
        assert [d.status for d in verdicts] == ["passed", "failed", "format", "bad_reference"] * 3
        assert v.counts == {"passed": 3, "failed": 3, "format": 3, "bad_reference": 3}


@needs_sandbox
def test_exception_types_reach_check():
    """A candidate's ValueError reaches check() as ValueError (tests that expect an exception still work)."""
    from verifiers import get_verifier

    test = ("def check(candidate):\n    try:\n        candidate(-1)\n    except ValueError:\n        pass\n"
            "    else:\n        raise AssertionError\n    assert candidate(4) == 2\n")
    code = "def root(x):\n    if x < 0:\n        raise ValueError('negative')\n    return int(x ** 0.5)\n"
    with get_verifier("code") as v:
        assert v.verify(code, fn_ref(test, "root")).reward == 1.0


@needs_sandbox
def test_cli_verify_code(tmp_path):
    """`rlvr verify --verifier code` through the generic command, both input forms."""
    ref = fn_ref("def check(candidate):\n    assert candidate(2) == 4\n", "sq")
    rows = [{"completion": "def sq(x):\n    return x * x\n", "reference": ref},
            {"completion": "def sq(x):\n    return 0\n", "reference": ref},
            {"completion": "print(int(input()) + 1)", "reference": io_ref(("1", "2"))}]
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cmd = [sys.executable, "-c", "import sys; from rlvr.cli import main; sys.exit(main())", "verify",
           "--verifier", "code"]
    subprocess.run(cmd + ["--input", str(src), "--output", str(dst), "--workers", "2"], check=True, timeout=120)
    out = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [(o["reward"], o["status"]) for o in out] == [(1.0, "passed"), (0.0, "failed"), (1.0, "passed")]
    one = subprocess.run(cmd + ["--completion", rows[0]["completion"], "--reference", ref], check=True,
                         capture_output=True, text=True, timeout=120)
    assert json.loads(one.stdout)["reward"] == 1.0


def test_an_environment_variable_overrides_the_option(monkeypatch):
    from verifiers import get_verifier

    monkeypatch.setenv("RLVR_CODE_WALL_SECONDS", "2.5")
    v = get_verifier("code", wall_seconds=9, cpu_seconds=3)
    assert (v.limits.wall_seconds, v.limits.cpu_seconds) == (2.5, 3)  # the values used


def test_workers_default_to_the_available_cores():
    from verifiers import get_verifier
    from verifiers.code import available_cores

    assert get_verifier("code").workers == min(2 * available_cores(), 256) == get_verifier("code").workers
    assert get_verifier("code", workers=3).workers == 3


@needs_sandbox
def test_cli_options_reach_the_sandbox(tmp_path):
    """`--option` sets a sandbox limit for the run: a 0.3 s wall clock ends a sleeping program at once."""
    cmd = [sys.executable, "-c", "import sys; from rlvr.cli import main; sys.exit(main())", "verify",
           "--verifier", "code", "--completion", "import time\ntime.sleep(30)\n", "--reference", io_ref(("", "1"))]
    proc = subprocess.run(cmd + ["--option", "wall_seconds=0.3"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "timeout"


_EARLY = """
import os, sys
from rlvr.commands import verify
verify._prestart_code_sandbox()
boot = sys.modules["verifiers._sandbox.boot"]
early = boot._early.proc.pid
from verifiers import get_verifier
with get_verifier("code", workers=1) as v:
    assert v.verify("def sq(x):\\n    return x * x\\n", sys.argv[1]).reward == 1.0
    assert v._sandbox._proc.pid == early and boot._early is None  # the early launcher was taken over
boot.prestart()  # a second one, that nobody takes: killed at exit
print(early, boot._early.proc.pid)
"""


@needs_sandbox
def test_rlvr_verify_starts_the_launcher_early_and_never_leaks_it():
    ref = fn_ref("def check(candidate):\n    assert candidate(2) == 4\n", "sq")
    proc = subprocess.run([sys.executable, "-c", _EARLY, ref], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for pid in map(int, proc.stdout.split()):
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
