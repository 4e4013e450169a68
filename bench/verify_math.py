"""Benchmark: the `math` verifier through `rlvr verify` (start-up included) against math-verify 0.9.0 in-process.

    .venv/bin/python bench/verify_math.py                 # 20,000 ordinary pairs + the adversarial table
    .venv/bin/python bench/verify_math.py --n 2000        # a quicker run

(a) `ordinary_pairs(n)`: boxed integers, ``####`` answers, equivalent fractions, decimals vs fractions.
(b) `ADVERSARIAL`: the labelled table of bench/math_cases.py (rows B1-B23 plus ordinary MATH/GSM8K answers).

Ours is timed as a subprocess ``rlvr verify --input IN --output OUT --workers W`` (interpreter start-up, imports,
worker start-up and file I/O all counted). math-verify is timed in-process (its import not counted) with
``parse(gold)``, ``parse(prediction)``, ``verify(gold, pred)``, each under math-verify's own default 5 s timeout,
which is counted. Prints both times, the ratio, accuracy against the labels, and every disagreement with the
reason (whose policy). Exit status 0; the targets are >= 10x on (a) and >= 10x on (b).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from math_cases import ADVERSARIAL, ordinary_pairs  # noqa: E402

MV_TIMEOUT = 5  # math-verify's default for both parse and verify


def run_ours(pairs: list[tuple[str, str]], workdir: Path, workers: int) -> tuple[float, list[dict]]:
    src, out = workdir / "in.jsonl", workdir / "out.jsonl"
    src.write_text("".join(json.dumps({"completion": c, "reference": r}) + "\n" for c, r in pairs))
    exe = shutil.which("rlvr", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "rlvr.cli"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "verify", "--verifier", "math", "--input", str(src), "--output", str(out),
                           "--workers", str(workers)], capture_output=True, text=True, cwd=workdir)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"rlvr verify failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, [json.loads(line) for line in out.read_text().splitlines()]


def run_math_verify(pairs: list[tuple[str, str]]) -> tuple[float, list[int | str]]:
    import logging

    from math_verify import parse, verify

    logging.disable(logging.ERROR)  # math-verify logs every timeout with the whole (1 MB) input
    sys.set_int_max_str_digits(0)  # B13: otherwise math-verify cannot even read a 5000-digit answer
    results: list[int | str] = []
    start = time.perf_counter()
    for completion, reference in pairs:
        try:
            gold = parse(reference if "\\boxed" in reference else f"${reference}$", parsing_timeout=MV_TIMEOUT)
            pred = parse(completion, parsing_timeout=MV_TIMEOUT)
            results.append(int(bool(verify(gold, pred, timeout_seconds=MV_TIMEOUT))))
        except BaseException as err:  # noqa: BLE001 - math-verify's TimeoutException derives from BaseException
            if isinstance(err, KeyboardInterrupt):
                raise
            results.append(f"raised {type(err).__name__}")
    return time.perf_counter() - start, results


def _reward(row: dict) -> int | None:
    return None if row["reward"] is None else int(row["reward"])


def compare(name: str, items, ours_s: float, ours: list[dict], mv_s: float, mv: list, target: float) -> None:
    """items: (tag, completion, reference, label). Prints times, accuracy and every disagreement."""
    ratio = mv_s / ours_s
    print(f"\n== {name}: {len(items)} pairs")
    print(f"   rlvr verify (CLI, start-up included): {ours_s:8.2f} s")
    print(f"   math-verify 0.9.0 (in-process):       {mv_s:8.2f} s")
    print(f"   speed-up: {ratio:.1f}x  (target >= {target:g}x: {'met' if ratio >= target else 'NOT met'})")
    scored = [(i, it[3]) for i, it in enumerate(items) if it[3] is not None]
    ours_ok = sum(_reward(ours[i]) == lab for i, lab in scored)
    mv_ok = sum(mv[i] == lab for i, lab in scored)
    false_pos = [i for i, lab in scored if lab == 0 and _reward(ours[i]) == 1]
    print(f"   agreement with labels on {len(scored)} labelled pairs: ours {ours_ok}, math-verify {mv_ok}; "
          f"our false positives: {len(false_pos)}")
    diffs = [i for i in range(len(items)) if _reward(ours[i]) != mv[i]]
    print(f"   disagreements with math-verify: {len(diffs)}")
    for i in diffs:
        tag, completion, reference, label = items[i]
        if label is None:
            why = "policy choice (no label)"
        elif _reward(ours[i]) == label:
            why = "math-verify's policy differs from the label"
        elif mv[i] == label:
            why = "OUR policy differs from the label"
        else:
            why = "both differ from the label"
        shown = completion[-70:] if len(completion) < 200 else f"<{len(completion)} chars> ...{completion[-40:]}"
        print(f"   [{tag}] {why}: ours={_reward(ours[i])} ({ours[i]['status']}: {ours[i]['detail'][:60]}) "
              f"mv={mv[i]} label={label}\n       completion={shown!r} reference={reference[:50]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of ordinary pairs (default 20000)")
    parser.add_argument("--workers", type=int, default=2, help="--workers passed to rlvr verify")
    parser.add_argument("--skip-ordinary", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.chdir(workdir)  # injection attempts would leave their marker here
        if not args.skip_ordinary:
            ordinary = [("ordinary", c, r, lab) for c, r, lab in ordinary_pairs(args.n)]
            pairs = [(c, r) for _, c, r, _ in ordinary]
            ours_s, ours = run_ours(pairs, workdir, args.workers)
            mv_s, mv = run_math_verify(pairs)
            compare("(a) ordinary pairs", ordinary, ours_s, ours, mv_s, mv, target=10)
        pairs = [(c, r) for _, c, r, _ in ADVERSARIAL]
        ours_s, ours = run_ours(pairs, workdir, args.workers)
        marker_after_ours = (workdir / "pwned_marker").exists()
        mv_s, mv = run_math_verify(pairs)
        compare("(b) adversarial table", ADVERSARIAL, ours_s, ours, mv_s, mv, target=10)
        print(f"\n   injection marker file after rlvr verify: {'PRESENT' if marker_after_ours else 'absent'}; "
              f"after math-verify: {'present' if (workdir / 'pwned_marker').exists() else 'absent'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
