"""Benchmark: a sweep's wall time with `rlvr sweep --jobs 2` against `--jobs 1`, on the same points, in one run.

    .venv/bin/python bench/sweep_jobs.py                                   # 4 seeds of configs/smoke.yaml, 16 steps
    .venv/bin/python bench/sweep_jobs.py --base configs/demo.yaml --seeds 2 --max_steps 32
    .venv/bin/python bench/sweep_jobs.py --sweep configs/sweeps/difficulty_study.yaml --max_steps 32 \
        --cache /tmp/study_cache                   # a study's own points, shortened; its cached base models

Both sweeps run the same points into separate fresh output folders and share one model cache, which is filled
first (pretraining is not part of either measurement): by `rlvr pretrain` for --base, or for --sweep by an untimed
one-step pass over the sweep's points unless --cache names a cache that already holds their base models.
`--jobs 1` runs each point with the trainer's default threads; `--jobs 2` runs two at a time with one thread each.
Prints both wall times and the ratio (jobs 1 / jobs 2; above 1 means --jobs 2 is faster). The order alternates
with --order, since the machine's load may drift.

Measured 2026-12-03 on the shared 2-core machine (other engineers' jobs running; 4 seeds of smoke.yaml, 16 steps):
--jobs 1 141.8 s, --jobs 2 83.6 s, ratio 1.70 (order 1-2); --jobs 2 61.3 s, --jobs 1 127.4 s, ratio 2.08 (2-1).
The difficulty study's six points, 32 steps each (`--sweep configs/sweeps/difficulty_study.yaml --max_steps 32
--cache /tmp/study_cache`): order 1-2: --jobs 1 564.8 s (the machine shared with other work), --jobs 2 171.4 s,
ratio 3.30 (inflated by that load); order 2-1 on an idle machine: --jobs 2 156.5 s, --jobs 1 245.9 s, ratio 1.57.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_spec(sweep: Path) -> dict:
    """A sweep file's spec with its base made absolute (relative to the repository, else to the sweep file)."""
    import yaml

    spec = yaml.safe_load(sweep.read_text())
    base = Path(spec["base"])
    spec["base"] = str(base if base.is_absolute() else ((REPO / base) if (REPO / base).is_file()
                                                         else sweep.parent / base).resolve())
    return spec


def write_sweep(folder: Path, spec: dict, out: str, cache: Path, max_steps: int | None) -> Path:
    """`spec` as a sweep file that writes its runs into `folder/out`, uses `cache`, and runs `max_steps` steps."""
    import yaml

    overrides = {**(spec.get("overrides") or {}), "output_dir": str(folder / out), "cache_dir": str(cache)}
    if max_steps is not None:
        overrides["max_steps"] = max_steps
    path = folder / f"sweep-{out}.yaml"
    path.write_text(yaml.safe_dump({**spec, "overrides": overrides}, sort_keys=False))
    return path


def timed_sweep(path: Path, jobs: int) -> float:
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "rlvr.cli", "sweep", str(path), "--jobs", str(jobs)],
                          cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"sweep --jobs {jobs} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="configs/smoke.yaml")
    parser.add_argument("--seeds", type=int, default=4, help="points (seeds 0..N-1)")
    parser.add_argument("--sweep", help="time this sweep file's own points instead of --base x --seeds")
    parser.add_argument("--cache", help="model cache that already holds the points' base models (with --sweep)")
    parser.add_argument("--max_steps", type=int, default=None, help="GRPO steps per point (default 16; with "
                                                                    "--sweep, the sweep's own)")
    parser.add_argument("--order", choices=["1-2", "2-1"], default="1-2", help="which sweep runs first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rlvr-bench-sweep-") as tmp:
        folder = Path(tmp)
        cache = Path(args.cache) if args.cache else folder / "cache"
        if args.sweep:
            spec, steps = load_spec((REPO / args.sweep).resolve()), args.max_steps
            if not args.cache:
                timed_sweep(write_sweep(folder, spec, "warmup", cache, 1), 2)
            what = f"the points of {args.sweep}" + (f", {steps} steps each" if steps else "")
        else:
            base, steps = (REPO / args.base).resolve(), args.max_steps or 16
            spec = {"base": str(base), "grid": {"seed": list(range(args.seeds))}}
            subprocess.run([sys.executable, "-m", "rlvr.cli", "pretrain", str(base), "--cache_dir", str(cache)],
                           cwd=REPO, check=True, capture_output=True)
            what = f"{args.seeds} points of {steps} steps"
        times = {}
        for jobs in ([1, 2] if args.order == "1-2" else [2, 1]):
            times[jobs] = timed_sweep(write_sweep(folder, spec, f"jobs{jobs}", cache, steps), jobs)
            print(f"--jobs {jobs}: {times[jobs]:.1f} s for {what}", flush=True)
    print(f"ratio (jobs 1 / jobs 2): {times[1] / times[2]:.2f}")


if __name__ == "__main__":
    main()
