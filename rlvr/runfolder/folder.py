"""The run folder: the one module that knows its file names, creates and checks it, and reads and writes it.

    run = RunFolder.for_config(cfg, overrides)   # runs/20261122-demo-seed=1-s1-3fa2b1c0 (found again by its hash)
    with run.writer(cfg) as attempt:              # lock, check, config.yaml + env.json, this attempt's number
        run.append(METRICS, row)                  # every JSONL row is stamped with `attempt`
    run.write_summary({...})                      # written last: its presence means "complete"

Layout (DESIGN.md)::

    config.yaml   fully resolved config (file + overrides, plugin options complete), written before step 0
    env.json      versions, git sha, host, device; one entry per attempt under "attempts"
    metrics.jsonl one strict-JSON object per logged step      events.jsonl  preemption, divergence, resume notes
    evals.jsonl   one object per (eval point, benchmark)      samples.jsonl sampled completions (capped)
    test_time.jsonl  pass@k / maj@k against k per checkpoint  fit.json      `rlvr fit`
    summary.json  final figures, written last                 checkpoints/  git-ignored, atomic saves
    .lock         an OS file lock held by the one writer (released by the kernel when its process dies)

Naming: ``<YYYYMMDD>-<experiment>[-<key>=<value>...]-s<seed>-<hash>``, where ``hash`` is the identity hash of the
resolved config (values that differ from the defaults, where-it-is-written keys excluded). Re-running the same
command finds the folder with the same hash under ``output_dir`` (whatever its date) and resumes it.
Attempts: every start of a writer on the folder is a new attempt (1, 2, ...), counted in env.json before anything
else is written, so a process that dies before its first row still uses up its number.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from rlvr.config.experiment import ExperimentConfig
from rlvr.errors import UserError
from rlvr.runfolder.jsonl import append_jsonl, read_jsonl, repair_jsonl, write_json_atomic

__all__ = ["RunFolder", "identity_hash", "list_run_dirs", "CONFIG", "ENV", "METRICS", "EVALS", "SAMPLES",
           "EVENTS", "TEST_TIME", "FIT", "SUMMARY", "CHECKPOINTS", "LOCK"]

CONFIG, ENV, SUMMARY, FIT = "config.yaml", "env.json", "summary.json", "fit.json"
METRICS, EVALS, SAMPLES, EVENTS, TEST_TIME = (
    "metrics.jsonl", "evals.jsonl", "samples.jsonl", "events.jsonl", "test_time.jsonl")
JSONL_FILES = (METRICS, EVALS, SAMPLES, EVENTS, TEST_TIME)
CHECKPOINTS, LOCK = "checkpoints", ".lock"
_MAX_SHOWN = 3  # overrides spelled out in a folder name; keeps names readable


def identity_hash(cfg: ExperimentConfig) -> str:
    """The run identity of a config (`ExperimentConfig.identity`): the hash at the end of a run folder's name."""
    return cfg.identity()


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value))[:24]


def _flat(overrides: dict) -> dict:
    out = {}
    for k, v in overrides.items():
        if isinstance(v, dict):
            out.update({f"{k.removesuffix('_options')}.{sk}": sv for sk, sv in v.items()})
        else:
            out[k] = v
    return out


class RunFolder:
    """One run folder. Paths, checks, the writer's lock, JSONL rows, env.json and summary.json."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.attempt = 0  # set by `writer`; rows appended before that carry attempt 0 (never by train)
        self._lock_fd: int | None = None

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    # --- finding ------------------------------------------------------------------------------------------------
    @classmethod
    def for_config(cls, cfg: ExperimentConfig, overrides: dict | None = None) -> RunFolder:
        """`cfg.run_dir` if set, else an existing folder with the same identity hash, else a new name."""
        if cfg.run_dir:
            return cls(cfg.run_dir)
        parent = Path(cfg.output_dir)
        digest = identity_hash(cfg)
        if parent.is_dir():
            matches = sorted(p for p in parent.iterdir() if p.is_dir() and p.name.endswith(f"-{digest}"))
            if matches:
                return cls(matches[-1])
        hidden = ExperimentConfig.LOCATION_KEYS | {"seed", "experiment"}
        shown = {k: v for k, v in _flat(overrides or {}).items() if k not in hidden}
        parts = [time.strftime("%Y%m%d"), _slug(cfg.experiment)]
        parts += [f"{_slug(k)}={_slug(v)}" for k, v in sorted(shown.items())[:_MAX_SHOWN]]  # the hash says the rest
        parts += [f"s{cfg.seed}", digest]
        return cls(parent / "-".join(parts))

    def is_run(self) -> bool:
        return (self.path / CONFIG).is_file() or (self.path / EVALS).is_file()

    def is_complete(self) -> bool:
        return (self.path / SUMMARY).is_file()

    # --- config -------------------------------------------------------------------------------------------------
    def load_config(self) -> ExperimentConfig:
        path = self.path / CONFIG
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"{self.path} is not a run folder (no {CONFIG})") from None
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text; the run folder is damaged") from None
        try:
            return ExperimentConfig.from_yaml(text, str(path))
        except ValueError as err:
            raise UserError(f"run folder {self.path} has an unreadable {CONFIG} ({err}); pick another run_dir") \
                from None

    def check_config(self, cfg: ExperimentConfig) -> None:
        """Refuse a folder whose config.yaml describes a different experiment, naming the differing keys (D7)."""
        if not (self.path / CONFIG).exists():
            if self.path.exists() and not self.path.is_dir():
                raise UserError(f"run folder {self.path} is a file; choose another run_dir")
            if self.path.is_dir() and any(p.name != LOCK for p in self.path.iterdir()):
                raise UserError(f"run folder {self.path} exists and is not an rlvr run (no {CONFIG}); "
                                "choose another run_dir")
            return
        old = self.load_config()
        if identity_hash(old) != identity_hash(cfg):
            new_d, old_d = cfg.to_dict(), old.to_dict()
            diff = sorted(k for k, v in new_d.items() if old_d.get(k) != v and k not in ExperimentConfig.LOCATION_KEYS)
            raise UserError(f"run folder {self.path} holds a run of a different config (differs in: "
                            f"{', '.join(diff)}). Refusing to mix runs; pass another --run_dir, or delete that "
                            "folder to start over.")

    # --- the writer ---------------------------------------------------------------------------------------------
    @contextmanager
    def writer(self, cfg: ExperimentConfig, is_main: bool = True):
        """Lock the folder for this process, check it, write config.yaml and env.json; yields the attempt number.

        Non-main processes (ranks > 0) only check the config; they never write.
        """
        self.check_config(cfg)
        if not is_main:
            yield 0
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f"cannot create run folder {self.path}: {err.strerror}; choose a writable output_dir") \
                from None
        self._acquire_lock()
        try:
            self.check_config(cfg)  # again under the lock: another writer may have just created it
            for name in JSONL_FILES:
                repair_jsonl(self.path / name)  # drop a line torn by a kill, so appends start clean
            self.attempt = self._start_attempt()
            config_path = self.path / CONFIG
            if not config_path.exists():
                tmp = self.path / f".{CONFIG}.tmp"
                tmp.write_text(cfg.to_yaml(), encoding="utf-8")
                os.replace(tmp, config_path)
            yield self.attempt
        finally:
            self._release_lock()

    def _acquire_lock(self) -> None:
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise UserError(f"run folder {self.path} is in use by {holder}; wait for it to finish or stop it "
                                "(the lock is released when that process exits)") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} on {os.uname().nodename}\n".encode(), 0)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock; the file stays (harmless, reused)
            self._lock_fd = None

    def _start_attempt(self) -> int:
        from rlvr.runfolder.env_info import collect_env

        env_path = self.path / ENV
        record = json.loads(env_path.read_text()) if env_path.exists() else {}
        attempts = record.get("attempts", [])
        attempt = max((a.get("attempt", 0) for a in attempts), default=0) + 1
        # Rows from an older layout (before attempts were counted here) must not share a number with this one.
        attempt = max(attempt, max((r.get("attempt", 0) for r in self.read(METRICS)), default=0) + 1)
        now = collect_env()
        first = record or {k: v for k, v in now.items() if k != "time"}
        write_json_atomic(env_path, {**first, "attempts": [*attempts, {**now, "attempt": attempt}]})
        return attempt

    def note_env(self, key: str, value) -> None:
        """Add `key` to this attempt's env.json entry (e.g. the effective sandbox limits after env overrides)."""
        env_path = self.path / ENV
        record = json.loads(env_path.read_text())
        record["attempts"][-1][key] = value
        write_json_atomic(env_path, record)

    # --- rows ---------------------------------------------------------------------------------------------------
    def append(self, name: str, rows: dict | list[dict]) -> None:
        """Append rows to one of the JSONL files, each stamped with this attempt's number."""
        assert name in JSONL_FILES, name
        rows = [rows] if isinstance(rows, dict) else rows
        append_jsonl(self.path / name, [{**r, "attempt": r.get("attempt", self.attempt)} for r in rows])

    def read(self, name: str) -> list[dict]:
        assert name in JSONL_FILES, name
        return read_jsonl(self.path / name)

    def write_json(self, name: str, obj: dict) -> Path:
        assert name in (SUMMARY, FIT), name
        write_json_atomic(self.path / name, obj)
        return self.path / name

    def read_json(self, name: str) -> dict | None:
        path = self.path / name
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise UserError(f"{path} is damaged (not JSON); delete it and re-run the command that writes it") \
                from None

    def write_summary(self, summary: dict) -> Path:
        return self.write_json(SUMMARY, summary)


def list_run_dirs(paths: list[str | Path]) -> list[Path]:
    """Expand the arguments of `rlvr fit/plot`: run folders, or parents of run folders."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"run folder {str(p)!r} does not exist")
        if RunFolder(p).is_run():
            out.append(p)
        elif p.is_dir():
            children = sorted(c for c in p.iterdir() if (c / EVALS).exists())
            if not children:
                raise UserError(f"{str(p)!r} is not a run folder (no {EVALS}) and contains none")
            out.extend(children)
        else:
            raise UserError(f"{str(p)!r} is a file, not a run folder")
    return out
