"""Soak the code sandbox with mixed submissions and check that nothing accumulates (RELIABILITY A27).

    .venv/bin/python bench/soak_code.py [--n 10000] [--workers 2] [--wall 1.0]

Submissions cycle through: pass, fail, crash (SIGSEGV), memory, output flood, setsid escapee, fork bomb (capped
by the task limit), and (one in 25) an infinite loop. Before and after, it records the machine's process count,
zombies, jailed processes (below the launcher; the sandbox's idle judges, its own long-lived processes, are
counted apart and must not outnumber the workers), this process's open file descriptors and the entries and
bytes in /tmp; it prints one JSON line with the counts, the verdict statuses and the throughput, and exits 1 if
anything grew or a verdict was wrong. Runs in whichever sandbox mode this process gets (root or userns).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from verifiers._sandbox.limits import JAIL_UIDS

_SQ = json.dumps({"test": "def check(candidate):\n    assert candidate(3) == 9\n", "entry_point": "sq"})
_IO = json.dumps({"stdin_stdout": [{"input": "3\n", "output": "9\n"}]})
KINDS = [  # (completion, reference, expected reward, expected status)
    ("def sq(x):\n    return x * x\n", _SQ, 1.0, "passed"),
    ("print(int(input()) ** 2)\n", _IO, 1.0, "passed"),
    ("def sq(x):\n    return x + 1\n", _SQ, 0.0, "failed"),
    ("import ctypes\nctypes.string_at(0)\n", _IO, 0.0, "crash"),
    ("x = bytearray(10**11)\n", _IO, 0.0, "memory"),
    ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", _IO, 0.0, "output_limit"),
    ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\ndef sq(x):\n    return x * x\n",
     _SQ, 1.0, "passed"),
    ("import os\nfor _ in range(64):\n    try:\n        os.fork()\n    except OSError:\n        pass\n", _IO, 0.0,
     "failed"),
]
LOOP = ("while True:\n    pass\n", _IO, 0.0, "timeout")


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1 and pid != ancestor:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                pid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except OSError:
            return False
    return pid == ancestor


def snapshot(launcher: int | None = None, judges: tuple[int, ...] = ()) -> dict:
    """Machine-wide process and zombie counts; jail-uid processes under our `launcher` (other sandboxes on a
    shared machine are not ours) other than the idle `judges`; our fds; /tmp entries and bytes (shared with
    whoever else writes there)."""
    procs = zombies = jailed = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                status = fh.read()
        except OSError:
            continue
        procs += 1
        zombies += b"State:\tZ" in status
        uid_line = next(line for line in status.splitlines() if line.startswith(b"Uid:"))
        # With a launcher: every process below it but the idle judges (in userns mode jailed processes run under
        # the caller's own uid); without one, processes under a jail uid (root mode's throw-away uids).
        jailed += (int(name) not in judges and int(name) != launcher
                   and (_descends_from(int(name), launcher) if launcher is not None
                        else int(uid_line.split()[1]) in JAIL_UIDS))
    tmp = tempfile.gettempdir()
    usage = shutil.disk_usage(tmp)
    return {"processes": procs, "zombies": zombies, "jailed": jailed, "judges": len(judges),
            "fds": len(os.listdir("/proc/self/fd")),
            "tmp_entries": len(os.listdir(tmp)), "tmp_used_bytes": usage.used}


def soak(n: int, workers: int = 2, wall: float = 1.0) -> dict:
    """Run `n` mixed submissions through one verifier; return before/after snapshots and the verdict counts."""
    from verifiers import get_verifier

    items = [LOOP if i % 25 == 24 else KINDS[i % len(KINDS)] for i in range(n)]
    with get_verifier("code", workers=workers, wall_seconds=wall, cpu_seconds=2) as v:
        v.verify(*KINDS[0][:2])  # start the launcher and its judges before the "before" snapshot
        launcher = v._sandbox.launcher_pid()
        before = snapshot(launcher, tuple(v._sandbox.judge_pids()))
        start = time.perf_counter()
        verdicts = v.verify_batch([(c, r) for c, r, _, _ in items], workers=workers)
        seconds = time.perf_counter() - start
        after = snapshot(launcher, tuple(v._sandbox.judge_pids()))  # no grace: verdicts come after the reaping
        counts = dict(v.counts)
    wrong = [i for i, (d, (_, _, reward, status)) in enumerate(zip(verdicts, items, strict=True))
             if d.reward != reward or (status is not None and d.status != status)]
    return {"n": n, "workers": workers, "seconds": round(seconds, 2), "per_second": round(n / seconds, 1),
            "before": before, "after": after, "statuses": counts, "wrong_verdicts": len(wrong),
            "first_wrong": [(items[i][0][:40], str(verdicts[i])) for i in wrong[:3]]}


def grew(result: dict, tmp_slack: int = 1 << 20) -> list[str]:
    """Names of the counters that grew (the /tmp byte count gets a small slack for unrelated writers)."""
    b, a = result["before"], result["after"]
    out = [k for k in ("zombies", "jailed", "fds", "tmp_entries") if a[k] > b[k]]
    if a["judges"] > result["workers"]:
        out.append("judges")
    if a["tmp_used_bytes"] > b["tmp_used_bytes"] + tmp_slack:
        out.append("tmp_used_bytes")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wall", type=float, default=1.0, help="wall seconds per run")
    args = parser.parse_args(argv)
    result = soak(args.n, args.workers, args.wall)
    result["grew"] = grew(result)
    print(json.dumps(result))
    return 1 if result["grew"] or result["wrong_verdicts"] else 0


if __name__ == "__main__":
    sys.exit(main())
