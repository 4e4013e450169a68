"""Checkpoints that are either complete or ignored.

transformers writes ``checkpoint-<step>/`` file by file, so a kill during a save leaves a folder that looks like a
checkpoint but is not one. `CompletionMarker` (a callback) writes ``COMPLETE`` into a checkpoint folder after
transformers has finished saving it (``on_save`` runs after ``trainer_state.json``, the last file), flushed and
fsynced, together with the compute ledger's state. On resume, `newest_complete` picks the newest folder that has
the marker and `remove_incomplete` deletes the others, so neither resume nor checkpoint rotation ever uses one.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from transformers import TrainerCallback

__all__ = ["MARKER", "CompletionMarker", "newest_complete", "remove_incomplete", "checkpoint_step"]

MARKER = "COMPLETE"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


def checkpoint_step(path: str | Path) -> int | None:
    m = _CKPT.match(Path(path).name)
    return int(m.group(1)) if m else None


def _checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and checkpoint_step(p) is not None), key=checkpoint_step)


def newest_complete(folder: str | Path) -> Path | None:
    """Newest ``checkpoint-N`` under `folder` whose save completed, or None."""
    done = [p for p in _checkpoints(Path(folder)) if (p / MARKER).is_file()]
    return done[-1] if done else None


def remove_incomplete(folder: str | Path) -> list[Path]:
    """Delete checkpoint folders without the marker (interrupted saves). Returns what was removed."""
    removed = [p for p in _checkpoints(Path(folder)) if not (p / MARKER).is_file()]
    for p in removed:
        shutil.rmtree(p, ignore_errors=True)
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CompletionMarker(TrainerCallback):
    """After each save: write the ledger state and the COMPLETE marker into the new checkpoint folder."""

    def __init__(self, ledger=None):
        self.ledger = ledger

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not folder.is_dir():
            return
        if self.ledger is not None:
            self.ledger.save(folder)
        for f in folder.iterdir():  # make sure every file transformers wrote is on disk before the marker
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        with open(folder / MARKER, "w") as fh:
            fh.write(f"{state.global_step}\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(folder)
