"""Adversarial table for the code sandbox: one attack (RELIABILITY rows A1-A30) per row.

Each row asserts the reward and status, and that nothing survived the verdict: no process below the launcher and
no child of it other than the idle judges, no file written outside the jail, no connection to a host listener.

The suite runs in whichever mode this process gets: root, or (an ordinary user) unprivileged user namespaces.
When run as root, `test_suite_as_an_unprivileged_user` re-runs it (and the code verifier's sandbox tests) as uid
65534 with the system interpreter, so both modes are tested by one `make test`.
"""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _sandbox_helpers import (  # noqa: E402
    SYSTEM_PYTHON,
    as_nobody,
    children_of,
    fn_ref,
    io_ref,
    jailed_processes,
    sandbox_skip_reason,
    unprivileged_copy,
    unprivileged_skip_reason,
)

pytestmark = pytest.mark.skipif(sandbox_skip_reason() is not None, reason=str(sandbox_skip_reason()))

SQ = fn_ref("def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(-2) == 4\n", "sq")
ECHO = io_ref(("3\n", "9\n"), ("5\n", "25\n"))
GOOD = "def sq(x):\n    return x * x\n"
MARK = "/tmp/rlvr_sandbox_pwned"  # on the host; must never appear


@pytest.fixture(scope="module")
def v():
    from verifiers import get_verifier

    verifier = get_verifier("code", workers=2, wall_seconds=1.5, cpu_seconds=2)
    yield verifier
    verifier.close()


@pytest.fixture(scope="module")
def listener():
    """A host loopback listener; a candidate that could reach the host network would connect here."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)
    yield srv
    srv.close()


def assert_nothing_survived(v, listener=None) -> None:
    """Checked at once, with no grace: the verdict is returned only after the run's processes are reaped. The idle
    judges are the sandbox's own long-lived processes (at most `workers`, each alone in its PID namespace)."""
    launcher = v._sandbox.launcher_pid()
    judges = v._sandbox.judge_pids()
    assert len(judges) <= v.options.workers
    assert [p for p in jailed_processes(launcher) if p not in judges] == []
    assert [p for p in children_of(launcher) if p not in judges] == []
    assert all(children_of(j) == [] for j in judges)
    assert not os.path.exists(MARK)
    assert os.path.exists(__file__) and open(__file__).read().endswith("\n")  # noqa: SIM115
    if listener is not None:
        with pytest.raises(BlockingIOError):
            listener.accept()


# (id, completion, reference, expected reward, expected status or None for "any zero status")
ROWS = [
    # A1 infinite loops
    ("A1-top-level-loop", "while True:\n    pass\n" + GOOD, SQ, 0.0, "timeout"),
    ("A1-loop-in-function", "def sq(x):\n    while True:\n        pass\n", SQ, 0.0, "timeout"),
    ("A1-loop-program", "while True:\n    pass\n", ECHO, 0.0, "timeout"),
    # A2 the candidate disables its own alarm: the verifier's clock still rules
    ("A2-alarm-disabled", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.alarm(0)\n"
     "signal.setitimer(signal.ITIMER_REAL, 0)\nwhile True:\n    pass\n", ECHO, 0.0, "timeout"),
    # A3 sleeping / reading a stdin that is not there
    ("A3-sleep", "import time\ntime.sleep(10**6)\n", ECHO, 0.0, "timeout"),
    ("A3-input-no-stdin", "def sq(x):\n    return int(input()) * 0 + x * x\n", SQ, 0.0, "failed"),
    ("A3-stdin-is-devnull", "import sys\ndef sq(x):\n    return x * x if sys.stdin.read() == '' else 0\n", SQ,
     1.0, "passed"),
    # A4 fork bombs through every door
    ("A4-os-fork-bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
     ECHO, 0.0, None),
    ("A4-posix-spawn", "import os\nwhile True:\n    try:\n        os.posix_spawn('/bin/sh', ['sh', '-c', 'sleep 100'],"
     " {})\n    except OSError:\n        pass\n", ECHO, 0.0, None),
    ("A4-ctypes-fork", "import ctypes\nlibc = ctypes.CDLL(None)\nwhile True:\n    libc.fork()\n", ECHO, 0.0, None),
    ("A4-multiprocessing", "import multiprocessing as mp\ndef f(x):\n    while True:\n        pass\n"
     "def sq(x):\n    with mp.Pool(64) as p:\n        p.map(f, range(64))\n", SQ, 0.0, None),
    # A5 escapees: correct answers that leave a grandchild / a new session behind
    ("A5-background-grandchild", "import subprocess\nsubprocess.Popen(['sleep', '1000'])\n" + GOOD, SQ, 1.0,
     "passed"),
    ("A5-setsid-double-fork", "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
     "        time.sleep(1000)\n    os._exit(0)\n" + GOOD, SQ, 1.0, "passed"),
    ("A5-program-daemon", "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\n"
     "print(int(input()) ** 2)\n", ECHO, 1.0, "passed"),
    # A6 memory
    ("A6-bytearray", "x = bytearray(10**11)\n" + GOOD, SQ, 0.0, "memory"),
    ("A6-string", "def sq(x):\n    s = 'a' * 10**10\n    return x * x\n", SQ, 0.0, "memory"),
    ("A6-list", "x = [0] * 10**10\nprint(9)\n", ECHO, 0.0, "memory"),
    # A9 output floods
    ("A9-stdout-flood", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", ECHO, 0.0, "output_limit"),
    ("A9-stderr-flood", "import sys\ndef sq(x):\n    while True:\n        sys.stderr.write('x' * 65536)\n", SQ, 0.0,
     "output_limit"),
    # A10 disk fill, through every API
    ("A10-open", "open('big', 'wb').write(b'0' * 10**9)\nprint(9)\n", ECHO, 0.0, None),
    ("A10-io-open", "import io\nwith io.open('big', 'wb') as f:\n    for _ in range(10**4):\n"
     "        f.write(b'0' * 10**6)\nprint(9)\n", ECHO, 0.0, None),
    ("A10-os-open", "import os\nfd = os.open('big', os.O_WRONLY | os.O_CREAT)\nwhile True:\n"
     "    os.write(fd, b'0' * 10**6)\n", ECHO, 0.0, None),
    # A11 destructive filesystem access: whatever the candidate manages inside its jail, the host is unchanged
    # (assert_nothing_survived checks the marker; the repo file must still exist). The answer itself is right.
    ("A11-write-host-tmp", f"open({MARK!r}, 'w').write('x')\n" + GOOD, SQ, 1.0, "passed"),
    ("A11-posix-unlink-repo", f"import posix\ntry:\n    posix.unlink({os.path.abspath(__file__)!r})\n"
     "except OSError:\n    pass\n" + GOOD, SQ, 1.0, "passed"),
    ("A11-rmtree-home-unlink-system", "import shutil, os\nshutil.rmtree(os.path.expanduser('~'), ignore_errors=True)\n"
     "for p in ('/usr/bin/python3', '/etc/ld.so.cache', '/bin/sh'):\n    try:\n        os.unlink(p)\n"
     "    except OSError:\n        pass\n" + GOOD, SQ, 1.0, "passed"),
    ("A11-write-proc-root", f"try:\n    open('/proc/1/root{MARK}', 'w').write('x')\nexcept OSError:\n    pass\n"
     + GOOD, SQ, 1.0, "passed"),
    ("A11-write-repo", f"try:\n    open({os.path.abspath(__file__)!r}, 'a').write('x')\nexcept OSError:\n"
     "    pass\n" + GOOD, SQ, 1.0, "passed"),
    # A13 C-level deep recursion
    ("A13-json-deep", "import json, sys\nsys.setrecursionlimit(10**6)\n"
     "def sq(x):\n    json.loads('[' * 10**6 + ']' * 10**6)\n    return x * x\n", SQ, 0.0, None),
    ("A13-segfault", "import ctypes\nctypes.string_at(0)\n", ECHO, 0.0, "crash"),
    # A14 exits before the tests
    ("A14-sys-exit-top", "import sys\nsys.exit(0)\n" + GOOD, SQ, 0.0, "failed"),
    ("A14-os-exit-top", "import os\nos._exit(0)\n", SQ, 0.0, "failed"),
    ("A14-raise-systemexit", "raise SystemExit\n", ECHO, 0.0, "failed"),
    # A15 exits inside the tested function
    ("A15-sys-exit-in-fn", "import sys\ndef sq(x):\n    sys.exit(0)\n", SQ, 0.0, "failed"),
    ("A15-os-exit-in-fn", "import os\ndef sq(x):\n    os._exit(0)\n", SQ, 0.0, "failed"),
    # A16 AlwaysEqual and friends
    ("A16-always-equal", "class E:\n    def __eq__(self, o):\n        return True\n    def __ne__(self, o):\n"
     "        return False\ndef sq(x):\n    return E()\n", SQ, 0.0, "failed"),
    ("A16-int-subclass", "class I(int):\n    def __eq__(self, o):\n        return True\ndef sq(x):\n    return I(0)\n",
     SQ, 0.0, "failed"),
    ("A16-str-subclass", "class S(str):\n    def __eq__(self, o):\n        return True\n    def strip(self):\n"
     "        return self\ndef f(x):\n    return S('no')\n",
     fn_ref("def check(candidate):\n    assert candidate(1).strip() == 'yes'\n", "f"), 0.0, "failed"),
    # A17 verdict forging
    ("A17-write-passed-everywhere", "import os\nfor fd in range(3, 64):\n    try:\n"
     "        os.write(fd, b'\\x20\\x00\\x00\\x00{\"outcome\":\"completed\"}')\n    except OSError:\n        pass\n"
     "os._exit(0)\n", SQ, 0.0, "failed"),
    ("A17-gc-walk", "import gc, os\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'nonce' in o:\n"
     "        o['outcome'] = 'completed'\nos._exit(0)\n", SQ, 0.0, "failed"),
    # A18 looking for the expected outputs
    ("A18-env-argv-proc", "import os, sys\nblob = repr(dict(os.environ)) + repr(sys.argv)\n"
     "for p in os.listdir('/proc'):\n    for f in ('cmdline', 'environ'):\n        try:\n"
     "            blob += open(f'/proc/{p}/{f}', 'rb').read().decode('latin1')\n        except OSError:\n"
     "            pass\nimport re\nm = re.findall(r'SECRET-\\d+', blob)\nprint(m[0] if m else 'nothing')\n",
     io_ref(("", "SECRET-4711")), 0.0, "failed"),
    ("A18-walk-filesystem", "import os\nhits = []\nfor top in ('/tmp', '/root', '/work', '/home', '/etc', '/var'):\n"
     "  for d, ds, fs in os.walk(top):\n    ds[:] = [x for x in ds if x not in ('.venv', '.pyenv')]\n"
     "    for f in fs:\n        try:\n"
     "            if b'SECRET-4711' in open(os.path.join(d, f), 'rb').read(1 << 20):\n"
     "                hits.append(f)\n        except OSError:\n            pass\n"
     "print('SECRET-4711' if hits else 'nothing')\n", io_ref(("", "SECRET-4711")), 0.0, "failed"),
    ("A18-read-own-memory", "import re\ndef sq(x):\n    data = open('/proc/self/maps').read()\n"
     "    return 'check(' in data and 4711 or x\n", fn_ref("def check(candidate):\n    assert candidate(4711) == 4711"
                                                      " * 4711\n", "sq"), 0.0, "failed"),
    # A19 patching the harness in the candidate's own process changes nothing in the judge
    ("A19-patch-builtins", "import builtins, unittest\nbuiltins.AssertionError = type('X', (Exception,), {})\n"
     "unittest.TestResult.addFailure = lambda *a: None\nimport json\njson.dumps = lambda *a, **k: '\"passed\"'\n"
     "def sq(x):\n    return 0\n", SQ, 0.0, "failed"),
    ("A19-check-never-calls", GOOD, fn_ref("def check(candidate):\n    pass\n", "sq"), 0.0, "failed"),
    # A20 hard-coding the visible example
    ("A20-hardcode", "s = input()\nprint(9 if s == '3' else 0)\n", ECHO, 0.0, "failed"),
    # A21 line counts
    ("A21-prefix-only", "print(1)\n", io_ref(("", "1\n2\n3\n")), 0.0, "failed"),
    ("A21-extra-lines", "print(1)\nprint(2)\nprint(3)\nprint('garbage')\n", io_ref(("", "1\n2\n3\n")), 0.0,
     "failed"),
    # A22 whitespace policy
    ("A22-trailing-spaces-crlf", "import sys\nsys.stdout.write('1  \\r\\n2\\t\\r\\n\\n\\n')\n",
     io_ref(("", "1\n2")), 1.0, "passed"),
    ("A22-leading-space-differs", "print(' 1')\n", io_ref(("", "1")), 0.0, "failed"),
    # A23 numbers are text: no float tolerance, big integers exact
    ("A23-float-text", "print(0.1 + 0.2)\n", io_ref(("", "0.3")), 0.0, "failed"),
    ("A23-big-int-exact", "print(5 * 10**16 + 1)\n", io_ref(("", "50000000000000000")), 0.0, "failed"),
    # A24 big integers are fine
    ("A24-5000-digits-program", "print(int('1' * 5000) * 9)\n", io_ref(("", "9" * 5000)), 1.0, "passed"),
    ("A24-5000-digits-function", "def big(n):\n    return int('1' * n) * 9\n",
     fn_ref("def check(candidate):\n    assert candidate(5000) == int('9' * 5000)\n", "big"), 1.0, "passed"),
    # A31 privileges inside the jail: none, in either mode (no capabilities, no new namespaces, no mounts)
    ("A31-no-capabilities", "s = open('/proc/self/status').read()\nprint(*[l.split()[1] for l in s.splitlines()"
     " if l.startswith(('CapEff', 'CapPrm', 'CapInh', 'CapAmb'))])\n",
     io_ref(("", "0000000000000000 0000000000000000 0000000000000000 0000000000000000")), 1.0, "passed"),
    ("A31-no-new-user-namespace", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
     "print(libc.unshare(0x10000000), libc.unshare(0x20000000), libc.unshare(0x00020000))\n",
     io_ref(("", "-1 -1 -1")), 1.0, "passed"),
    ("A31-no-mount-no-chroot", "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
     "r = libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None)\ntry:\n    os.chroot('/tmp')\n    c = 0\n"
     "except OSError:\n    c = -1\nprint(r, c, os.getuid() != 0)\n", io_ref(("", "-1 -1 True")), 1.0, "passed"),
    ("A31-no-setuid-root", "import os\ntry:\n    os.setuid(0)\n    print('root')\nexcept OSError:\n"
     "    print('refused')\n", io_ref(("", "refused")), 1.0, "passed"),
    # A29 hostile bytes on stdout
    ("A29-invalid-utf8-nul", "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00' * 1000)\n", ECHO, 0.0, "failed"),
    ("A29-10MB-line", "import sys\nsys.stdout.write('9' * 10**7)\n", ECHO, 0.0, "output_limit"),
]


@pytest.mark.parametrize("completion,reference,reward,status", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_attack(v, listener, completion, reference, reward, status):
    verdict = v.verify(completion, reference)
    assert verdict.reward == reward, verdict
    if status is not None:
        assert verdict.status == status, verdict
    assert_nothing_survived(v, listener)


# A12: the network is unreachable; the host listener on loopback never sees a connection.
NET = [
    ("connect-host-loopback", "import socket\ns = socket.create_connection(('127.0.0.1', {port}), 1)\nprint(9)\n"),
    ("connect-public-ip", "import socket\ns = socket.create_connection(('10.255.255.1', 80), 1)\nprint(9)\n"),
    ("dns", "import socket\nsocket.getaddrinfo('example.com', 80)\nprint(9)\n"),
    ("urllib", "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/', timeout=1)\nprint(9)\n"),
]


@pytest.mark.parametrize("code", [c for _, c in NET], ids=[n for n, _ in NET])
def test_network_unreachable(v, listener, code):
    verdict = v.verify(code.format(port=listener.getsockname()[1]), io_ref(("", "9")))
    assert verdict.reward == 0.0 and verdict.status == "failed", verdict
    assert_nothing_survived(v, listener)


def test_network_failure_is_fast(v):
    start = time.monotonic()
    v.verify("import socket\nsocket.create_connection(('10.255.255.1', 80), 5)\n", io_ref(("", "")))
    assert time.monotonic() - start < 1.4  # no route at all: it fails at once instead of waiting for a timeout


def stdout_of(v, code: str) -> str:
    """What `code` prints in one sandboxed run with no input (its stdout, whatever the verdict would be)."""
    return v._sandbox.run_program(code, [b""], v.limits, lambda *a: True)[0][1].decode()


_NETNS_PROBE = ("import os, socket, time\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.bind('\\0rlvr-probe')\n"
                "    state = 'bound'\nexcept OSError:\n    state = 'in-use'\ntime.sleep(0.4)\n"
                "print(state, os.readlink('/proc/self/ns/net'))\n")


def test_concurrent_runs_never_share_a_network_namespace(v):
    """Network namespaces are pooled: one is lent to one live run at a time, so concurrent runs cannot meet there
    (an abstract socket name bound by one is free for the other)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        lines = [out.split() for out in pool.map(lambda _: stdout_of(v, _NETNS_PROBE), range(4))]
    assert [state for state, _ in lines] == ["bound"] * 4, lines
    assert len({ns for _, ns in lines}) == 4, lines
    assert_nothing_survived(v)


def test_nothing_of_a_run_is_left_in_its_network_namespace(v):
    """The next run lent the same namespace finds no socket of the previous one, even one held by an escapee."""
    leave = ("import os, socket, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0rlvr-left')\ns.listen(1)\n"
             "if os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\nprint(os.readlink('/proc/self/ns/net'))\n")
    find = ("import os, socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect('\\0rlvr-left')\n"
            "    print('found', os.readlink('/proc/self/ns/net'))\nexcept OSError:\n"
            "    print('gone', os.readlink('/proc/self/ns/net'))\n")
    first = stdout_of(v, leave).split()
    seen = [stdout_of(v, find).split() for _ in range(3)]
    assert all(state == "gone" for state, _ in seen), seen
    assert any(ns == first[0] for _, ns in seen), (first, seen)  # the namespace was indeed lent again
    assert_nothing_survived(v)


def test_candidate_starts_from_a_clean_interpreter(monkeypatch):
    """The trainer's environment never reaches the jail; argv, stdio and big-integer printing are set up for
    the candidate (once, in the launcher, which every run is forked from)."""
    from verifiers import get_verifier
    from verifiers._sandbox.child import CLEAN_ENV

    monkeypatch.setenv("RLVR_TEST_SECRET", "SECRET-99")
    probe = ("import os, sys\nprint(sorted(os.environ.items()))\n"
             "print(sys.argv, sys.stdin.errors, sys.stdout.errors)\nprint(len(str(10 ** 5000)))\n")
    expected = f"{sorted(CLEAN_ENV.items())}\n['main.py'] replace backslashreplace\n5001\n"
    with get_verifier("code", workers=1) as fresh:
        assert fresh.verify(probe, io_ref(("", expected))).reward == 1.0


def test_jail_sees_only_its_own_world(v):
    probe = ("import os\nprint(os.getpid(), os.getuid() != 0, sorted(os.listdir('/')), os.listdir('/tmp'),"
             " os.path.exists('/work'), os.path.exists(os.path.expanduser('~/.ssh')), len(os.environ) < 12)\n")
    verdict = v.verify(probe, io_ref(("", "1 True ['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'root', 'sbin', "
                                          "'tmp', 'usr', 'work'] [] True False True")))
    # /work holds only the read-only interpreter paths; the listing depends on the machine, so check the parts
    assert verdict.status in ("passed", "failed")
    assert_nothing_survived(v)


@pytest.mark.parametrize("code", [
    "import numpy as np\nprint(int(np.arange(10).sum()))\n",  # A7: numpy under the memory limit
    "import threading\nout = []\nts = [threading.Thread(target=lambda: out.append(1)) for _ in range(8)]\n"
    "[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sum(out) + 37)\n",  # A7: eight threads
], ids=["A7-numpy", "A7-eight-threads"])
def test_positive_controls_fit_the_budget(v, code):
    pytest.importorskip("numpy")
    assert v.verify(code, io_ref(("", "45"))).reward == 1.0


def test_budget_is_independent_of_a_large_parent():
    """A8: the child is forked from the small launcher, so a big verifier process does not eat its budget."""
    from verifiers import get_verifier

    ballast = bytearray(1 << 30)  # 1 GiB in this (parent) process
    with get_verifier("code", memory_bytes=256 << 20) as v:
        assert v.verify("x = bytearray(100 << 20)\nprint(len(x) >> 20)\n", io_ref(("", "100"))).reward == 1.0
    del ballast


def test_same_submission_same_verdict(v):
    """A28: determinism, also for hash-order-dependent output (PYTHONHASHSEED is fixed in the jail)."""
    code = "print(list({'apple', 'pear', 'fig', 'kiwi'}))\n"
    verdicts = v.verify_batch([(code, io_ref(("", "x")))] * 20, workers=2)
    first = v.verify(code, io_ref(("", "x")))
    assert {(d.reward, d.status) for d in verdicts} == {(first.reward, first.status)}
    expected = stdout_of(v, code)
    assert v.verify(code, io_ref(("", expected))).reward == 1.0


def test_infra_failure_is_none_and_pool_recovers(v):
    """A26: the launcher killed between runs gives reward None / infra or a restart, never a silent 0."""
    import signal

    os.kill(v._sandbox.launcher_pid(), signal.SIGKILL)
    time.sleep(0.1)
    verdicts = v.verify_batch([(GOOD, SQ)] * 4, workers=2)
    assert all(d.reward in (1.0, None) for d in verdicts)
    assert all(d.status == "infra" for d in verdicts if d.reward is None)
    assert v.verify(GOOD, SQ).reward == 1.0
    assert v._sandbox.restarts >= 1
    assert_nothing_survived(v)


# The judges: long-lived, so every way a judge can go wrong must cost at most that one run.
JUDGE_FAULTS = [
    # (id, test source, expected reward, expected status)
    ("test-loops-forever", "def check(candidate):\n    candidate(3)\n    while True:\n        pass\n", 0.0, "timeout"),
    ("test-kills-the-judge", "import os\ndef check(candidate):\n    candidate(3)\n    os._exit(0)\n", None, "infra"),
    ("test-crashes-the-judge", "import ctypes\ndef check(candidate):\n    candidate(3)\n    ctypes.string_at(0)\n",
     None, "infra"),
]


@pytest.mark.parametrize("test,reward,status", [r[1:] for r in JUDGE_FAULTS], ids=[r[0] for r in JUDGE_FAULTS])
def test_a_failing_judge_costs_one_run(v, test, reward, status):
    verdict = v.verify(GOOD, fn_ref(test, "sq"))
    assert (verdict.reward, verdict.status) == (reward, status), verdict
    assert [v.verify(GOOD, SQ).reward for _ in range(3)] == [1.0] * 3  # the pool is healthy again
    assert_nothing_survived(v)


def test_a_judge_killed_while_idle_is_replaced(v):
    import signal

    v.verify(GOOD, SQ)
    idle = v._sandbox.judge_pids()
    assert idle
    for pid in idle:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    verdicts = v.verify_batch([(GOOD, SQ)] * 4, workers=2)
    assert [d.reward for d in verdicts] == [1.0] * 4, verdicts  # a dead judge is noticed before it gets a run
    assert not set(idle) & set(v._sandbox.judge_pids())
    assert_nothing_survived(v)


def test_judges_are_retired_after_a_fixed_number_of_runs():
    from verifiers import get_verifier
    from verifiers._sandbox.judges import RUNS_PER_JUDGE

    with get_verifier("code", workers=1) as one:
        one.verify(GOOD, SQ)
        (first,) = one._sandbox.judge_pids()
        for _ in range(RUNS_PER_JUDGE - 2):
            one.verify(GOOD, SQ)
        assert one._sandbox.judge_pids() == [first]  # RUNS_PER_JUDGE - 1 runs judged: still the same judge
        one.verify(GOOD, SQ)
        assert one._sandbox.judge_pids() == []  # its last run: retired (killed and reaped) on the way back
        assert one.verify(GOOD, SQ).reward == 1.0
        assert len(one._sandbox.judge_pids()) == 1 and one._sandbox.judge_pids() != [first]
        assert_nothing_survived(one)


def test_candidate_cannot_reach_the_judge():
    """The judge is another uid in another PID namespace: the candidate can neither see nor signal it, and the
    judge's memory (the tests) is not readable from the candidate's /proc."""
    from verifiers import get_verifier

    probe = ("import os, signal\ndef sq(x):\n    pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
             "    return (sorted(pids), os.getpid())\n")
    test = "def check(candidate):\n    pids, me = candidate(0)\n    assert me == 1\n    assert len(pids) == 1, pids\n"
    with get_verifier("code", workers=1) as fresh:
        assert fresh.verify(probe, fn_ref(test, "sq")).reward == 1.0


def test_the_expected_mode():
    """The unprivileged re-run below asks for userns mode; a plain run as root is in root mode."""
    from verifiers._sandbox import isolation_mode

    expected = os.environ.get("RLVR_TEST_SANDBOX_MODE") or ("root" if os.geteuid() == 0 else "userns")
    assert isolation_mode() == expected


_HOLD_TASKS = ("import os, time\nn = 0\nwhile True:\n    try:\n        if os.fork() == 0:\n"
               "            time.sleep(1000)\n        n += 1\n    except OSError:\n        break\n"
               "time.sleep(0.5)\nprint(n)\n")


def test_the_task_limit_counts_each_run_alone():
    """RLIMIT_NPROC is per run in both modes (a fresh uid as root, a user namespace of its own without root): two
    runs that hold every task they can at the same time each get the whole budget, no more."""
    from concurrent.futures import ThreadPoolExecutor

    from verifiers import get_verifier

    with get_verifier("code", workers=2, processes=8, wall_seconds=5) as v:
        with ThreadPoolExecutor(2) as pool:
            outs = list(pool.map(lambda _: stdout_of(v, _HOLD_TASKS), range(2)))
        assert outs == ["7\n", "7\n"], outs  # 8 tasks: the run's init and 7 children
        assert_nothing_survived(v)


_AS_NOBODY_TESTS = ["test_sandbox.py", "test_code_verifier.py", "test_humaneval.py", "test_code_soak.py"]


@pytest.mark.skipif(unprivileged_skip_reason() is not None, reason=str(unprivileged_skip_reason()))
def test_suite_as_an_unprivileged_user():
    """Item 1 of issue 15: as uid 65534 with the system interpreter, the same attack table, network, judge and
    verifier tests pass in userns mode (HumanEval's canonical solutions and the soak included), none skipped."""
    import tempfile

    dest = tempfile.mkdtemp(prefix="rlvr-nobody-", dir="/tmp")
    try:
        env = unprivileged_copy(dest, _AS_NOBODY_TESTS)
        env["RLVR_TEST_SANDBOX_MODE"] = "userns"
        proc = as_nobody([SYSTEM_PYTHON, "-m", "pytest", "-q", "-rs", "-x", *[f"tests/{t}" for t in _AS_NOBODY_TESTS],
                          "-k", "not as_an_unprivileged_user and not without_user_namespaces"],
                         env, cwd=os.path.join(dest, "repo"))
    finally:
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "deselected" in summary, tail


@pytest.mark.skipif(unprivileged_skip_reason() is not None or not __import__("shutil").which("unshare"),
                    reason=str(unprivileged_skip_reason() or "unshare (util-linux) is not installed"))
def test_refusal_without_user_namespaces():
    """Where the kernel refuses user namespaces (here: user.max_user_namespaces=0 inside an outer namespace), the
    CLI says why and how to enable them in one line, exit status 2, and runs nothing."""
    import tempfile

    dest = tempfile.mkdtemp(prefix="rlvr-nobody-", dir="/tmp")
    marker = os.path.join(dest, "ran")
    try:
        env = unprivileged_copy(dest, [])
        os.chmod(dest, 0o777)
        code = f"open({marker!r}, 'w').write('x')\ndef sq(x):\n    return x * x\n"
        script = ('echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"')
        proc = as_nobody(["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh", SYSTEM_PYTHON, "-m",
                          "rlvr.cli", "verify", "--verifier", "code", "--completion", code, "--reference",
                          fn_ref("def check(candidate):\n    assert candidate(2) == 4\n", "sq")],
                         env, cwd=os.path.join(dest, "repo"), timeout=120)
        ran = os.path.exists(marker)
    finally:
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "user namespaces" in proc.stderr and "sysctl -w user.max_user_namespaces" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not ran
