"""The worker-process side of the `math` verifier's slow path: read jobs, judge them, write results.

Started by `verifiers/_math/pool.py` as ``python -c <boot>`` (never a fork of the caller, never
``multiprocessing``, which would re-import the caller's ``__main__``). The protocol is one JSON array per line:

    stdin:  ["judge", answer, reference]  or  ["check", reference, ""]  or  ["canon", answer, ""]
            (a judge job may carry a fourth element, its flags: {"percent_as_fraction": true})
    stdout: "ready" once, then [reward, status, detail] per judge job, [reason or null] per check job,
            [key or null] per canon job (the majority-vote key of `verifiers._math.compare.canonical`)

Only data crosses the pipe (JSON, never pickle), so nothing the worker computes can run code in the parent.
The worker caps its own address space so that a runaway computation fails with MemoryError instead of pushing
the machine into swap; the parent still owns the wall clock and kills the worker on overrun.
"""

from __future__ import annotations

import json
import sys

MEMORY_LIMIT_BYTES = 4 * 1024**3


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: the parent's wall clock still bounds us
        pass


def _handle(job: list, judge, check_reference, canonical=None) -> list:
    kind, a, b, *rest = job
    try:
        if kind == "canon":
            return [canonical(a)]
        if kind == "judge":
            flags = rest[0] if rest else {}
            return list(judge(a, b, percent_as_fraction=flags.get("percent_as_fraction") is True))
        return [check_reference(a)]
    except (RecursionError, MemoryError) as err:  # the answer is too deep or too big to compare: not a value
        what = "too deeply nested" if isinstance(err, RecursionError) else "too large to compare"
        return [0.0, "wrong", f"expression {what}"] if kind == "judge" else [None if kind == "canon" else
                                                                              f"reference {what}"]
    except Exception as err:  # noqa: BLE001 - reported as an internal error (reward None), never as a 0 or 1
        msg = f"internal error: {type(err).__name__}: {str(err)[:200]}"
        return [None, "error", msg] if kind == "judge" else [None if kind == "canon" else msg]


def main() -> None:
    sys.set_int_max_str_digits(0)  # big integers are legitimate answers (B13); this process only compares
    sys.setrecursionlimit(10_000)
    _limit_memory()
    from verifiers._math.compare import canonical, check_reference, judge

    out = sys.stdout
    out.write('"ready"\n')
    out.flush()
    for line in sys.stdin:
        try:
            job = json.loads(line)
        except ValueError:
            return  # the parent never sends bad JSON: stop rather than guess
        out.write(json.dumps(_handle(job, judge, check_reference, canonical)) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
