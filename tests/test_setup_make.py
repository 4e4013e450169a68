"""`make setup` (Makefile + tools/setup_venv.sh) with a stand-in python and pip: no network, under a second a test.

What is checked: pip runs with its temporary folder inside the clone and no cache; the stamp is written last and only
after success; a failed pip step is retried once, saying so, and a second failure stops with no stamp; a half-built
.venv is never reused; no egg-info stays in the tree; two set-ups at once in one clone run one after the other.
"""

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or shutil.which("bash") is None, reason="needs make and bash"
)

# `-m venv DIR` makes DIR/bin/python, a stand-in for the venv's python, whose `-m pip ...` logs its arguments and the
# environment pip would see, and fails while FAKE_FAILS has a count left for a call containing FAKE_FAIL_ON.
# Anything else (the lock in tools/setup_venv.sh) goes to the real python.
FAKE_PYTHON = """\
#!/usr/bin/env bash
if [[ $1 == -m && $2 == venv ]]; then
    mkdir -p "$3/bin" && cp "$FAKE_DIR/venv_python" "$3/bin/python" && exit 0
fi
exec "$REAL_PYTHON" "$@"
"""
VENV_PYTHON = """\
#!/usr/bin/env bash
shift 2   # -m pip
echo "$* | TMPDIR=$TMPDIR | exists=$([[ -d $TMPDIR ]] && echo 1) | no_cache=${PIP_NO_CACHE_DIR:-}" >> "$FAKE_DIR/log"
[[ " $* " == *" -e "* ]] && mkdir -p rlvr.egg-info   # as setuptools' egg_info does
sleep "${FAKE_SLEEP:-0}"
if [[ -n ${FAKE_FAIL_ON:-} && " $* " == *"$FAKE_FAIL_ON"* ]]; then
    left=$(cat "$FAKE_DIR/fails" 2>/dev/null || echo "${FAKE_FAILS:-0}")
    if (( left > 0 )); then echo $((left - 1)) > "$FAKE_DIR/fails"; echo "fake pip: failing" >&2; exit 3; fi
fi
exit 0
"""
PIP_STEPS = ["install --quiet --upgrade pip", "install --quiet torch==2.13.0", "install --quiet -e .[test]"]


@pytest.fixture
def clone(tmp_path):
    """A folder with the repository's Makefile, pyproject.toml and tools/setup_venv.sh, and the stand-ins."""
    repo = tmp_path / "clone"
    (repo / "tools").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "tools/setup_venv.sh"):
        shutil.copy2(ROOT / name, repo / name)
    fake = tmp_path / "fake"
    fake.mkdir()
    for name, text in (("python3", FAKE_PYTHON), ("venv_python", VENV_PYTHON)):
        (fake / name).write_text(text)
        (fake / name).chmod((fake / name).stat().st_mode | stat.S_IXUSR)
    return repo, fake


def run_setup(clone, *, background=False, **fake_env):
    repo, fake = clone
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR", "TMPDIR")
    }
    env.update(FAKE_DIR=str(fake), REAL_PYTHON=sys.executable, SETUP_RETRY_DELAY="0", **fake_env)
    cmd = ["make", "--no-print-directory", "setup", f"PYTHON={fake / 'python3'}"]
    kw = dict(cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if background:
        return subprocess.Popen(cmd, **kw)
    return subprocess.run(cmd, timeout=60, **kw)


def pip_calls(clone):
    log = clone[1] / "log"
    return log.read_text().splitlines() if log.exists() else []


def test_setup_runs_pip_in_the_clone_without_cache_and_writes_the_stamp_last(clone):
    repo, _ = clone
    r = run_setup(clone)
    assert r.returncode == 0, r.stdout
    calls = pip_calls(clone)
    assert [c.split(" | ")[0] for c in calls] == PIP_STEPS
    for c in calls:  # pip's temporary folder is this clone's .venv/.tmp, it exists, and pip keeps no cache
        assert f"TMPDIR={repo / '.venv' / '.tmp'} | exists=1 | no_cache=1" in c, c
    assert (repo / ".venv" / ".installed").exists()
    assert not (repo / ".venv" / ".tmp").exists()
    assert not list(repo.glob("*.egg-info"))
    r = run_setup(clone)  # up to date: nothing runs
    assert r.returncode == 0 and len(pip_calls(clone)) == 3, r.stdout


def test_a_failed_pip_step_is_retried_once_with_a_message(clone):
    r = run_setup(clone, FAKE_FAIL_ON="torch==", FAKE_FAILS="1")
    assert r.returncode == 0, r.stdout
    assert "setup: 'pip install --quiet torch==2.13.0' failed (exit 3)" in r.stdout
    assert "trying it once more" in r.stdout
    assert [c.split(" | ")[0] for c in pip_calls(clone)] == PIP_STEPS[:2] + PIP_STEPS[1:]
    assert (clone[0] / ".venv" / ".installed").exists()


def test_a_step_that_fails_twice_stops_without_stamp_and_the_next_run_starts_over(clone):
    repo, _ = clone
    r = run_setup(clone, FAKE_FAIL_ON=" -e ", FAKE_FAILS="2")
    assert r.returncode != 0
    assert "failed again (exit 3); stopping" in r.stdout
    assert not (repo / ".venv" / ".installed").exists()
    (repo / ".venv" / "left-over").write_text("from the failed run")
    r = run_setup(clone)
    assert r.returncode == 0, r.stdout
    assert not (repo / ".venv" / "left-over").exists()  # .venv was made again, not reused
    assert (repo / ".venv" / ".installed").exists()
    assert not list(repo.glob("*.egg-info"))


def test_a_stale_stamp_rebuilds_the_venv(clone):
    repo, _ = clone
    assert run_setup(clone).returncode == 0
    (repo / ".venv" / "left-over").write_text("x")
    time.sleep(0.05)
    (repo / "pyproject.toml").touch()
    r = run_setup(clone)
    assert r.returncode == 0, r.stdout
    assert len(pip_calls(clone)) == 6 and not (repo / ".venv" / "left-over").exists()


def test_two_setups_at_once_in_one_clone_run_one_after_the_other(clone):
    first = run_setup(clone, background=True, FAKE_SLEEP="0.3")
    deadline = time.monotonic() + 30
    while not pip_calls(clone) and time.monotonic() < deadline:  # the first is inside its first pip step
        time.sleep(0.01)
    second = run_setup(clone, background=True, FAKE_SLEEP="0.3")  # finds no stamp, so it runs the script too
    outs = [p.communicate(timeout=60)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert len(pip_calls(clone)) == 3, pip_calls(clone)  # the second waited, found the stamp fresh, did nothing
    assert "set up meanwhile by another run" in outs[1], outs
    assert (clone[0] / ".venv" / ".installed").exists()


def test_the_makefile_leaves_the_steps_to_the_script():
    """The stamp depends on the script, so a change to the set-up rebuilds every clone's .venv."""
    text = (ROOT / "Makefile").read_text()
    assert (
        "$(STAMP): pyproject.toml tools/setup_venv.sh\n\tPYTHON='$(PYTHON)' VENV='$(VENV)' bash tools/setup_venv.sh"
        in text
    )
