"""Fault drill: attack real `rlvr train` runs of the smoke config and print what happened, one row per scenario.

    .venv/bin/python bench/faults.py [--workdir /tmp/faults] [--steps 12]

Scenarios: kill -9 mid-run then the same command (compared with an unbroken run), SIGTERM mid-run, a kill between
the final checkpoint and summary.json, two copies at once, a damaged newest checkpoint, every checkpoint damaged,
a full disk (a 400 KiB tmpfs; needs root, else skipped), divergence, and two processes under torchrun. Each row
says what a user expects and what was observed; the exit status is 1 when any row fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "configs" / "smoke.yaml"
PY = sys.executable


def rlvr(run_dir, cache, *extra, wait=True, steps=12):
    argv = [PY, "-m", "rlvr.cli", "train", str(SMOKE), "--run_dir", str(run_dir), "--cache_dir", str(cache),
            "--max_steps", str(steps), "--save_steps", "3", *map(str, extra)]
    if not wait:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=900)


def rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last_per_step(path: Path, drop=("attempt", "time", "time/wall", "time/unix", "time/step_seconds", "eval_seconds",
                                    "time/reward_seconds", "time/reward_fraction", "run_id")) -> dict:
    out = {}
    for r in rows(path):
        if "step" in r and "event" not in r:
            out[(r["step"], r.get("benchmark"))] = {k: v for k, v in r.items() if k not in drop}
    return out


def wait_for_steps(run_dir: Path, n: int, proc, timeout=300) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if len(rows(run_dir / "metrics.jsonl")) >= n:
            return True
        time.sleep(0.05)
    return False


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("GRPO")]
    return (lines[-1] if lines else "")[:110]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default="/tmp/rlvr_faults")
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cache, steps = work / "cache", args.steps
    table: list[tuple[str, str, str, bool]] = []

    def record(name, expected, observed, ok):
        table.append((name, expected, observed, bool(ok)))
        print(f"{'PASS' if ok else 'FAIL'} {name}: {observed}", flush=True)

    ref = work / "unbroken"
    proc = rlvr(ref, cache, steps=steps)
    record("unbroken run", "exit 0, summary", f"exit {proc.returncode}", proc.returncode == 0)
    ref_metrics, ref_evals = last_per_step(ref / "metrics.jsonl"), last_per_step(ref / "evals.jsonl")

    # kill -9 mid-run, then the same command
    run = work / "kill9"
    p = rlvr(run, cache, wait=False, steps=steps)
    wait_for_steps(run, 5, p)
    p.kill()
    p.wait()
    proc = rlvr(run, cache, steps=steps)
    same = last_per_step(run / "evals.jsonl") == ref_evals
    same_m = {k: v.get("reward") for k, v in last_per_step(run / "metrics.jsonl").items()} == {
        k: v.get("reward") for k, v in ref_metrics.items()}
    record("kill -9 at step >= 5, re-run", "resumes; evals and rewards equal the unbroken run",
           f"exit {proc.returncode}; evals equal: {same}; per-step rewards equal: {same_m}",
           proc.returncode == 0 and same and same_m)

    # SIGTERM mid-run
    run = work / "sigterm"
    p = rlvr(run, cache, wait=False, steps=steps)
    wait_for_steps(run, 4, p)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=300)
    events = [e["event"] for e in rows(run / "events.jsonl")]
    proc = rlvr(run, cache, steps=steps)
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
    record("SIGTERM mid-run, re-run", "exit 143 + preempted event; re-run completes at max_steps",
           f"exit {p.returncode}, events {events}; re-run exit {proc.returncode}, steps {summary.get('steps')}",
           p.returncode == 143 and "preempted" in events and proc.returncode == 0 and summary.get("steps") == steps)

    # a kill between the final checkpoint and summary.json
    run = work / "final"
    shutil.copytree(ref, run)
    (run / "summary.json").unlink()
    before = (len(rows(run / "metrics.jsonl")), len(rows(run / "evals.jsonl")))
    proc = rlvr(run, cache, steps=steps)
    after = (len(rows(run / "metrics.jsonl")), len(rows(run / "evals.jsonl")))
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
    record("killed before summary.json at max_steps, re-run", "no extra step or evaluation; summary at max_steps",
           f"exit {proc.returncode}; rows {before} -> {after}; steps {summary.get('steps')}",
           proc.returncode == 0 and before == after and summary.get("steps") == steps)

    # two copies at once
    run = work / "two_copies"
    p = rlvr(run, cache, wait=False, steps=steps)
    wait_for_steps(run, 1, p)
    second = rlvr(run, cache, steps=steps)
    p.wait()
    dup = len(rows(run / "metrics.jsonl")) - len({r["step"] for r in rows(run / "metrics.jsonl")})
    record("second copy on the same run folder", "second exits non-zero in one line naming the holder",
           f"exit {second.returncode}: {last_line(second.stderr)}; duplicate rows {dup}",
           second.returncode == 2 and "in use by process" in second.stderr and dup == 0)

    # damaged newest checkpoint
    run = work / "damaged"
    shutil.copytree(ref, run)
    (run / "summary.json").unlink()
    newest = max((run / "checkpoints").glob("checkpoint-*"), key=lambda c: int(c.name.split("-")[1]))
    (newest / "optimizer.pt").write_bytes((newest / "optimizer.pt").read_bytes()[:1000])
    proc = rlvr(run, cache, steps=steps)
    warn = [ln for ln in proc.stderr.splitlines() if "is damaged" in ln]
    record("damaged newest checkpoint", "falls back to the newest intact one, says which and why",
           f"exit {proc.returncode}: {warn[0][:110] if warn else 'no warning'}",
           proc.returncode == 0 and len(warn) == 1)

    # every checkpoint damaged
    run = work / "all_damaged"
    shutil.copytree(ref, run)
    (run / "summary.json").unlink()
    for ckpt in (run / "checkpoints").glob("checkpoint-*"):
        (ckpt / "rng_state.pth").unlink()
    proc = rlvr(run, cache, steps=steps)
    record("every checkpoint damaged", "refused in one line, exit 2, nothing overwritten",
           f"exit {proc.returncode}: {last_line(proc.stderr)}",
           proc.returncode == 2 and "no intact checkpoint" in proc.stderr and "Traceback" not in proc.stderr)

    # full disk
    mnt = work / "small_disk"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)],
                                                   capture_output=True).returncode == 0
    if mounted:
        try:
            proc = rlvr(mnt / "run", cache, steps=steps)
            readable = all(rows(mnt / "run" / n) is not None for n in ("metrics.jsonl", "evals.jsonl"))
            shutil.copytree(mnt / "run", work / "disk_full_moved")
        finally:
            subprocess.run(["umount", str(mnt)], capture_output=True)
        resumed = rlvr(work / "disk_full_moved", cache, steps=steps)
        record("disk full (400 KiB tmpfs)", "one line naming the file and the fix; folder resumable elsewhere",
               f"exit {proc.returncode}: {last_line(proc.stderr)}; moved folder resumed: exit {resumed.returncode}",
               proc.returncode != 0 and "No space left" in proc.stderr and "Traceback" not in proc.stderr
               and readable and resumed.returncode == 0)
    else:
        record("disk full", "(needs root to mount a small tmpfs)", "skipped", True)

    # divergence
    run = work / "diverge"
    proc = rlvr(run, cache, "--learning_rate", "1e30", steps=steps)
    events = [e for e in rows(run / "events.jsonl") if e["event"] == "diverged"]
    record("divergence (learning_rate 1e30)", "one line: what diverged at which step; event; no checkpoint",
           f"exit {proc.returncode}: {last_line(proc.stderr)[:80]}",
           proc.returncode == 2 and events and "Traceback" not in proc.stderr
           and not (run / "checkpoints" / f"checkpoint-{events[0]['step']}").exists())

    # two processes
    run = work / "two_procs"
    torchrun = str(Path(PY).with_name("torchrun"))
    proc = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", "29544", "-m", "rlvr.cli", "train",
                           str(SMOKE), "--run_dir", str(run), "--cache_dir", str(cache), "--max_steps", str(steps),
                           "--save_steps", "4"], capture_output=True, text=True, cwd=REPO, timeout=900)
    m = rows(run / "metrics.jsonl")
    per_step = {sum(v for k, v in r.items() if k.startswith("verifier/") and k != "verifier/unscored") for r in m}
    record("2 processes (torchrun, gloo), save_steps 4", "each row once, counts of both ranks (32 per step)",
           f"exit {proc.returncode}; rows {len(m)} for {steps} steps; completions per step {sorted(per_step)}",
           proc.returncode == 0 and len(m) == steps and per_step == {32})

    width = max(len(t[0]) for t in table)
    print("\n| scenario | expected | observed | result |\n|---|---|---|---|")
    for name, expected, observed, ok in table:
        print(f"| {name:<{width}} | {expected} | {observed} | {'pass' if ok else 'FAIL'} |")
    return 0 if all(t[3] for t in table) else 1


if __name__ == "__main__":
    sys.exit(main())
