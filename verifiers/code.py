"""The `code` verifier: runs model-written Python against a reference's tests in a sandbox; reward 1 or 0.

Policy (pinned by tests/test_code_verifier.py and tests/test_sandbox.py):

Code. The code is the last complete fenced block tagged ``python``/``py``/``python3`` (or untagged); if there is
no such block, the whole completion -- but only when it contains no fence at all. A completion with fences but no
complete python block (only other languages, or a python fence cut off by the token limit), or with no code, is
``format``, reward 0.

References (JSON object, exactly one schema):
- ``{"test": "<source defining check(candidate)>", "entry_point": "<name>"}``: passes when ``check`` returns
  after calling the candidate at least once, the candidate process never died, and no limit was hit. ``check``
  runs in a separate judge process and receives only plain values (see `verifiers/_sandbox/judge.py`): objects
  with a rigged ``__eq__``, exits, printed markers or patched harness code cannot make it pass. Names the test
  uses without defining (HumanEval's ``poly``) come from the candidate's module, as in HumanEval. The test is
  compiled once, in the judge: one that does not compile or defines no function ``check`` is ``bad_reference``
  (``check_reference``, used by ``rlvr audit``, parses it up front). An optional ``"prompt"`` (a string, as in
  HumanEval's problems) is code that the completion continues: the program run is ``prompt + code``, so a model
  can be asked for a function body or a returned expression only.
- ``{"stdin_stdout": [{"input": "...", "output": "..."}, ...]}``: each case runs the program as ``__main__`` in
  a fresh jail with ``input`` on stdin; it passes when every case exits with status 0 and its stdout equals
  ``output`` after removing trailing whitespace of each line (so ``\\r\\n`` == ``\\n``) and trailing blank lines.
  Everything else is compared exactly as text: line counts must match, floats have no tolerance, big integers
  are compared digit by digit. Expected outputs never leave this process. Cases stop at the first failure.

Statuses: passed (1), failed, timeout, memory, output_limit, crash, format (0), bad_reference, infra (None: masked,
counted in `counts`, never a 0). Labels of failures come from the run (signal, stderr) and only choose among
zero-reward statuses; nothing the program prints or returns can raise a reward.

Limits (`verifiers/_sandbox/limits.py`): per run wall/CPU time, memory budget, output bytes, file size, /tmp
size, tasks, open files; options or ``RLVR_CODE_*`` environment variables, validated at construction.
Sandbox guarantees and non-guarantees: see `verifiers/_sandbox/__init__.py` and docs/sandbox.md. As root it
isolates with throw-away uids; as an ordinary user with unprivileged user namespaces. Where neither is possible
the verifier refuses to run code (`SandboxUnavailable`, a one-line ValueError saying why and how to enable user
namespaces) rather than run it unprotected.

Parallelism: `verify_batch` runs `workers` submissions at once; the default is two per CPU core this process may
use, because a run spends about half its time waiting (on the launcher's fork, pipe hand-offs between candidate
and judge, the kernel's reaping), so one per core leaves cores idle (bench/verify_code.py measures it).
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

from verifiers._sandbox import InfraError, Limits, Sandbox
from verifiers.base import Verdict, Verifier
from verifiers.options import option
from verifiers.registry import register

__all__ = ["CodeVerifier", "extract_code", "normalize_output", "parse_reference", "available_cores"]

_FENCE = re.compile(r"^```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_PYTHON_TAGS = {"", "python", "py", "python3"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHECK_DEF = re.compile(r"^def[ \t]+check[ \t]*\([ \t]*[A-Za-z_]", re.M)
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE, signal.SIGSYS}


def extract_code(completion: str) -> str | None:
    """The code to run, or None when the completion has none (see the module docstring)."""
    blocks = [body for tag, body in _FENCE.findall(completion) if tag.lower() in _PYTHON_TAGS]
    if blocks:
        code = blocks[-1]
    elif "```" in completion:
        return None
    else:
        code = completion
    return code if code.strip() else None


def normalize_output(text: str) -> list[str]:
    """Lines with trailing whitespace removed, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def parse_reference(reference: str, parse_test: bool = True) -> dict:
    """The reference as a validated dict; ValueError saying what is wrong otherwise.

    With `parse_test` false, a ``test`` is only checked to define ``check(`` at the start of a line, not parsed:
    parsing it costs more than a short run, and the judge compiles it anyway (a test that does not compile, or
    defines no callable ``check``, is reported by the judge as ``bad_test`` and scored ``bad_reference``).
    `check_reference` (``rlvr audit``) always parses."""
    if not isinstance(reference, str):
        raise ValueError(f"reference must be a JSON string, got {type(reference).__name__}")
    try:
        ref = json.loads(reference)
    except ValueError as err:
        raise ValueError(f"reference is not JSON: {err}") from None
    if not isinstance(ref, dict):
        raise ValueError("reference must be a JSON object")
    if ("test" in ref) == ("stdin_stdout" in ref):
        raise ValueError('reference needs exactly one of "test" (+ "entry_point") or "stdin_stdout"')
    if "stdin_stdout" in ref:
        cases = ref["stdin_stdout"]
        if not isinstance(cases, list) or not cases:
            raise ValueError('"stdin_stdout" must be a non-empty list of {"input", "output"} objects')
        for i, case in enumerate(cases):
            if not (isinstance(case, dict) and isinstance(case.get("input"), str)
                    and isinstance(case.get("output"), str)):
                raise ValueError(f'"stdin_stdout"[{i}] must be {{"input": str, "output": str}}')
        return ref
    test, entry = ref.get("test"), ref.get("entry_point")
    if not isinstance(test, str) or not isinstance(entry, str) or not _IDENT.match(entry):
        raise ValueError('"test" must be a string and "entry_point" a Python identifier')
    if not isinstance(ref.get("prompt", ""), str):
        raise ValueError('"prompt" (the code the completion continues) must be a string')
    if not parse_test:
        if not _CHECK_DEF.search(test):
            raise ValueError('"test" must define check(candidate) at top level')
        return ref
    try:
        tree = ast.parse(test)
    except SyntaxError as err:
        raise ValueError(f'"test" is not valid Python: {err}') from None
    if not any(isinstance(n, ast.FunctionDef) and n.name == "check" and n.args.args for n in tree.body):
        raise ValueError('"test" must define check(candidate) at top level')
    return ref


def parse_reference_error(reference) -> str | None:
    """What is wrong with `reference` (None when nothing is)."""
    try:
        parse_reference(reference)
    except ValueError as err:
        return str(err)
    return None


@functools.lru_cache(maxsize=4096)
def _parsed(reference: str) -> tuple[dict | None, str | None]:
    """(reference, None) or (None, what is wrong), remembered: an RL group scores many completions against one
    reference, and parsing the test's Python is a fair share of a short run. Callers never mutate the dict."""
    try:
        return parse_reference(reference, parse_test=False), None
    except ValueError as err:
        return None, str(err)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask: taskset, a SLURM allocation), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _limit_option(f):
    return option(f.default, f.metadata["help"], low=f.metadata["range"][0], high=f.metadata["range"][1])


_LIMIT_FIELDS = {f.name: f for f in fields(Limits)}


@dataclass(frozen=True)
class CodeOptions:
    """Sandbox limits (see `verifiers/_sandbox/limits.py`) and the batch parallelism. An ``RLVR_CODE_<NAME>``
    environment variable overrides the option of that name; the value used is `CodeVerifier.limits` (recorded
    in a run's env.json)."""

    workers: int | None = option(None, "parallel sandbox runs in verify_batch (and judges kept ready); "
                                 "None: two per CPU core this process may use", low=1, high=256)
    wall_seconds: float = _limit_option(_LIMIT_FIELDS["wall_seconds"])
    cpu_seconds: int = _limit_option(_LIMIT_FIELDS["cpu_seconds"])
    memory_bytes: int = _limit_option(_LIMIT_FIELDS["memory_bytes"])
    output_bytes: int = _limit_option(_LIMIT_FIELDS["output_bytes"])
    file_bytes: int = _limit_option(_LIMIT_FIELDS["file_bytes"])
    tmp_bytes: int = _limit_option(_LIMIT_FIELDS["tmp_bytes"])
    processes: int = _limit_option(_LIMIT_FIELDS["processes"])
    open_files: int = _limit_option(_LIMIT_FIELDS["open_files"])

    def limits(self) -> Limits:
        """The sandbox limits: these options, then any ``RLVR_CODE_*`` environment override."""
        return Limits.from_env(**{name: getattr(self, name) for name in _LIMIT_FIELDS}, env_wins=True)


@register("code")
class CodeVerifier(Verifier):
    """Scores a completion's Python code against a reference's tests, in the sandbox."""

    statuses = ("passed", "failed", "timeout", "memory", "output_limit", "crash", "format", "bad_reference",
                "infra")
    Options = CodeOptions
    runs_in_subprocess = True  # the work is in sandbox processes: worth overlapping with sampling

    def __init__(self, **options):
        super().__init__(**options)
        self.limits = self.options.limits()
        self.workers = self.options.workers or min(2 * available_cores(), 256)  # verify_batch's default
        self.counts: Counter = Counter()
        self._lock = threading.Lock()
        self._sandbox = Sandbox(judges=self.workers, limits=self.limits)

    def check_reference(self, reference: str) -> str | None:
        return parse_reference_error(reference)

    def verify(self, completion: str, reference: str) -> Verdict:
        verdict = self._verify(completion, reference)
        with self._lock:
            self.counts[verdict.status] += 1
        return verdict

    def verify_batch(self, pairs, workers: int | None = None) -> list[Verdict]:
        pairs = [tuple(p) for p in pairs]
        workers = self.workers if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self._sandbox.launch()  # the launcher starts (a fresh interpreter) while this thread reads the references
        for _, reference in pairs:
            if isinstance(reference, str):
                _parsed(reference)
        if workers == 1 or len(pairs) <= 1:
            return [self.verify(c, r) for c, r in pairs]
        self._sandbox.start()  # once, before the threads race to start it
        with ThreadPoolExecutor(max_workers=min(workers, len(pairs))) as pool:
            return list(pool.map(lambda p: self.verify(*p), pairs))

    def close(self) -> None:
        self._sandbox.close()

    # ------------------------------------------------------------------------------------------- internals
    def _verify(self, completion: str, reference: str) -> Verdict:
        ref, error = _parsed(reference) if isinstance(reference, str) else (None, parse_reference_error(reference))
        if error is not None:
            return Verdict(None, "bad_reference", error)
        if not isinstance(completion, str):
            return Verdict(0.0, "format", "completion is not a string")
        code = extract_code(completion)
        if code is None:
            return Verdict(0.0, "format", "no python code block")
        try:
            if "stdin_stdout" in ref:
                return self._run_cases(code, ref["stdin_stdout"])
            return self._run_check(ref.get("prompt", "") + code, ref["test"], ref["entry_point"])
        except InfraError as err:
            return Verdict(None, "infra", str(err)[:300])

    def _run_check(self, code: str, test: str, entry_point: str) -> Verdict:
        res = self._sandbox.run_function(code, test, entry_point, self.limits)
        if "infra" in res:
            return Verdict(None, "infra", res["infra"][:300])
        report = res["report"]
        if report and res["nonce_ok"] and report.get("outcome") == "bad_test":
            return Verdict(None, "bad_reference", str(report.get("error"))[:300])
        if (report and res["nonce_ok"] and report.get("outcome") == "completed" and not report.get("died")
                and not res["died_first"]
                and isinstance(report.get("returned"), int) and report["returned"] >= 1
                and not res["timed_out"] and not res["output_limit"]):
            return Verdict(1.0, "passed", f"check() completed, {report['returned']} calls")
        label = _failure_label(res, (report or {}).get("error", ""))
        if report is None and not (res["timed_out"] or res["output_limit"]) and (res["report_closed"]
                                                                                 or not res["died_first"]):
            # The judge closed its report pipe without a report (it died; the candidate, whose channel then closed,
            # may have exited first), or ended while the candidate was alive: the judge failed, not the candidate.
            # The candidate cannot close that pipe: a candidate that dies first makes the judge report `died`.
            return Verdict(None, "infra", "the judge process ended without a report")
        detail = ((report or {}).get("error") or res["stderr_tail"][-300:]
                  or f"check() did not complete (candidate exit status {res.get('exit')})")
        if report and report.get("outcome") == "completed" and not report.get("returned"):
            detail = "check() never called the candidate successfully"
        return Verdict(0.0, label or "failed", str(detail)[:300])

    def _run_cases(self, code: str, cases: list[dict]) -> Verdict:
        expected = [normalize_output(c["output"]) for c in cases]

        def accept(i: int, header: dict, stdout: bytes) -> bool:
            return _case_ok(header, stdout, expected[i])

        results = self._sandbox.run_program(code, [c["input"].encode() for c in cases], self.limits, accept)
        for i, (header, stdout) in enumerate(results):
            if "infra" in header:
                return Verdict(None, "infra", header["infra"][:300])
            if not _case_ok(header, stdout, expected[i]):
                label = _failure_label(header, "") or "failed"
                why = "wrong output" if header.get("exit") == 0 else f"exit status {header.get('exit')}"
                return Verdict(0.0, label, f"case {i}: {why}")
        if len(results) != len(cases):
            return Verdict(None, "infra", "the sandbox stopped before all cases ran")
        return Verdict(1.0, "passed", f"{len(cases)} cases")


def _case_ok(header: dict, stdout: bytes, expected: list[str]) -> bool:
    if "infra" in header or header.get("timed_out") or header.get("output_limit") or header.get("exit") != 0:
        return False
    return normalize_output(stdout.decode("utf-8", errors="replace")) == expected


def _failure_label(res: dict, error: str) -> str | None:
    """Which zero-reward status describes a failed run (None: nothing specific)."""
    if res.get("timed_out"):
        return "timeout"
    if res.get("output_limit"):
        return "output_limit"
    if "MemoryError" in res.get("stderr_tail", "") or error.startswith("MemoryError"):
        return "memory"
    code = res.get("exit")
    if res.get("died") and isinstance(code, int) and code < 0:  # killed by a signal it brought on itself
        if -code in (signal.SIGXCPU, signal.SIGKILL):
            return "timeout"  # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one
        if -code in _CRASH_SIGNALS:
            return "crash"
    return None
