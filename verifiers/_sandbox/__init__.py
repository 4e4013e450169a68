"""A sandbox for untrusted Python: a fresh, isolated, bounded process tree per run, decided by trusted code.

Processes (see `launcher.py`, `spawn.py`, `watch.py`, `judge.py`, `judges.py`)::

    client (the verifier, trusted)  -- holds the wall clock, the output budget and the expected outputs
    └── launcher L (small pre-imported interpreter, root, never sees submissions)
        ├── C  one per run: init of a new PID namespace, the candidate's code, a fresh uid
        │   └── ... anything C starts stays in C's PID namespace
        └── J  a few long-lived judges: each alone in its own namespaces, another uid, runs the tests

Two modes (`isolation_mode`), the same guarantees (docs/sandbox.md says what differs):
- ``root``: the verifier runs as root of the machine. As below.
- ``userns``: an ordinary user (or root of a container's user namespace). The launcher first makes itself root
  of a user namespace of its own that maps only the caller's uid, and the init of a new PID namespace owned by
  it (the client's child waits for it); every run and judge then also enters a user namespace of its own, mapping
  the caller's uid to the run's throw-away uid, so RLIMIT_NPROC (counted by the kernel per user namespace and
  uid) counts the run alone, and drops every capability there. Where the kernel refuses user namespaces the
  sandbox refuses to start, in one line saying why and how to enable them (`SandboxUnavailable`).

What is protected (Linux, either mode):
- Process containment: every run is the init of a new PID namespace; at the verdict it is killed, so the kernel
  kills every descendant, ``setsid``/double-fork escapees included, and the verdict waits until the launcher has
  reaped it: nothing of the run is alive (not even a zombie) when the verdict is returned.
- No network: the run is in a network namespace with no interface up (not even loopback to the host). The
  namespaces are pooled: one is lent to one live run at a time, and again only after all its processes are dead.
- Filesystem: the root is a read-only tmpfs with read-only bind mounts of system libraries and the interpreter's
  stdlib and site-packages, ``/dev/{null,zero,random,urandom}``, a fresh ``/proc`` showing only the run's own
  processes, and a private size-capped ``/tmp`` (the only writable place, gone with the run). The repository,
  run folders, checkpoints, home directories and the trainer's files are not visible. A fresh IPC namespace.
- Identity: a fresh uid/gid per run (no groups, no capabilities, ``no_new_privs`` so setuid binaries are inert).
  In userns mode the fresh uid exists only in the run's own user namespace (on the host it is the caller's uid);
  the candidate and the judges are kept apart by PID namespaces (neither can name the other), and the caller's
  supplementary groups stay (an unprivileged process may not drop them).
- Secrets: the environment is a fixed minimal one; stdin is the case input or ``/dev/null``; the tests and the
  per-run nonce exist only in the judge (another uid, another PID namespace: the candidate cannot see, signal,
  trace or read it); expected outputs of stdin/stdout cases never leave the client. The launcher, which runs are
  forked from, never sees any submission, test or expected output.
- Limits: wall time (held by the client, SIGKILL through a pidfd), CPU time (RLIMIT_CPU), memory as a budget above
  the child's own baseline (RLIMIT_AS), stdout+stderr bytes read, file size (RLIMIT_FSIZE), /tmp size, number of
  tasks (RLIMIT_NPROC on the fresh uid, or in the run's own user namespace), open files.
- Verdict authority: program outputs are compared by the client with expected outputs only it holds; for
  ``check(candidate)`` tests the judge calls the candidate over a pipe and receives plain values only.

What is not protected: kernel exploits and side channels (timing, CPU contention with other runs); CPU and memory
of the machine are shared (limits bound, but do not reserve); the judges run the reference's test code jailed but
trusted to be benign (a test that hangs or crashes costs its own run, reward 0 / None, and that judge); without
root and without user namespaces (or on non-Linux) the sandbox refuses to run.

Usage::

    sandbox = Sandbox()
    result = sandbox.run_function(code, test, entry_point, Limits())
    sandbox.close()
"""

from verifiers._sandbox.client import InfraError, Sandbox, SandboxUnavailable, isolation_mode
from verifiers._sandbox.limits import Limits

__all__ = ["Sandbox", "SandboxUnavailable", "InfraError", "Limits", "isolation_mode"]
