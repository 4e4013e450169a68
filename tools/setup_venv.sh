#!/usr/bin/env bash
# `make setup`: build .venv from nothing, the same way every time, sharing no folder with other clones or set-ups.
# Run by the Makefile from the repository root when .venv/.installed is missing or older than pyproject.toml or
# this file. Environment: PYTHON (default python3), VENV (default .venv).
#
# Each rule below closes one way a set-up could fail for reasons outside the commit (issue #23):
# - one set-up at a time per clone: a lock on this file; a run that waited for another finds the stamp fresh and
#   stops there;
# - no half-built .venv is reused: without a fresh stamp, .venv is removed and made again;
# - pip's temporary and build folders (build isolation, the editable wheel, sdists it compiles) are made in
#   .venv/.tmp, not in the shared /tmp, and pip keeps no cache (set PIP_CACHE_DIR to use one): nothing a set-up
#   writes is shared with another clone, and a clean-up of /tmp by someone else cannot reach a running set-up;
# - setuptools' rlvr.egg-info does not stay in the source tree (from the tree's root, importlib.metadata would
#   read it instead of the installed metadata);
# - each pip step fetches from the package index over the network, so it alone is retried, once, saying so;
# - the stamp is written last, only when every step succeeded.
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP=$VENV/.installed
RETRY_DELAY=${SETUP_RETRY_DELAY:-5}
[[ -n $VENV && $VENV != / ]] || { echo "setup: VENV must name a folder" >&2; exit 2; }

exec 9<"${BASH_SOURCE[0]}"
"$PYTHON" -c 'import fcntl; fcntl.flock(9, fcntl.LOCK_EX)'   # held by fd 9 of this shell until it exits
if [[ -f $STAMP && $STAMP -nt pyproject.toml && $STAMP -nt ${BASH_SOURCE[0]} ]]; then
    echo "setup: $VENV was set up meanwhile by another run in this clone"
    exit 0
fi

rm -rf "$VENV" ./*.egg-info
tmp=$PWD/$VENV/.tmp   # absolute: pip runs its build steps in other folders
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
[[ -n ${PIP_CACHE_DIR:-} ]] || export PIP_NO_CACHE_DIR=1

"$PYTHON" -m venv "$VENV"

pip_step() {   # pip_step ARGS...: `pip ARGS` in the venv; after a failure, once more
    "$VENV/bin/python" -m pip "$@" 9<&- && return 0
    echo "setup: 'pip $*' failed (exit $?). It fetches from the package index over the network;" \
         "trying it once more in ${RETRY_DELAY} s." >&2
    sleep "$RETRY_DELAY"
    "$VENV/bin/python" -m pip "$@" 9<&- && return 0
    echo "setup: 'pip $*' failed again (exit $?); stopping. $VENV has no stamp, so the next make starts over." >&2
    return 1
}

pip_step install --quiet --upgrade pip
# torch first, pinned to the local CPU build: a bare `torch` requirement would pull a multi-GB CUDA build.
pip_step install --quiet torch==2.13.0
pip_step install --quiet -e '.[test]'
rm -rf ./*.egg-info
touch "$STAMP"
