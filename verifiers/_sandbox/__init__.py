"""A sandbox for untrusted Python: a fresh, isolated, bounded process tree per run, decided by trusted code.

What is protected (Linux, run as root; see `jail.py`, `supervisor.py`, `judge.py`):
- Process containment: every run gets a new PID namespace; at the verdict its init is killed, so the kernel kills
  every descendant, ``setsid``/double-fork escapees included. The supervisor reaps everything before reporting.
- No network: a new network namespace with no interface up (not even loopback to the host).
- Filesystem: the root is a read-only tmpfs with read-only bind mounts of system libraries and the interpreter's
  stdlib and site-packages, ``/dev/{null,zero,random,urandom}``, a fresh ``/proc`` showing only the run's own
  processes, and a private size-capped ``/tmp`` (the only writable place, gone with the run). The repository,
  run folders, checkpoints, home directories and the trainer's files are not visible.
- Identity: a fresh uid/gid per run (no groups, no capabilities, ``no_new_privs`` so setuid binaries are inert).
- Secrets: the environment is replaced by a fixed minimal one; stdin is the case input or ``/dev/null``; the
  candidate is forked before the tests and nonce reach its supervisor, and the launcher it is forked from never
  sees any submission, test or expected output.
- Limits: wall time (held by the supervisor, SIGKILL), CPU time (RLIMIT_CPU), memory as a budget above the
  child's own baseline (RLIMIT_AS), stdout+stderr bytes read, file size (RLIMIT_FSIZE), /tmp size, number of
  tasks (RLIMIT_NPROC on the fresh uid), open files.
- Verdict authority: program outputs are compared by the caller with expected outputs only it holds; for
  ``check(candidate)`` tests the judge runs the tests in another process (another uid) and receives plain values.

What is not protected: kernel exploits and side channels (timing, CPU contention with other runs); CPU and memory
of the machine are shared (limits bound, but do not reserve); the judge process runs the reference's test code
with the same jail but is trusted to be benign; without root (or on non-Linux) the sandbox refuses to run.

Usage::

    sandbox = Sandbox()
    result = sandbox.run_function(code, test, entry_point, Limits())
    sandbox.close()
"""

from verifiers._sandbox.client import InfraError, Sandbox, SandboxUnavailable
from verifiers._sandbox.limits import Limits

__all__ = ["Sandbox", "SandboxUnavailable", "InfraError", "Limits"]
