"""Checkpoints that are either complete or ignored.

transformers writes ``checkpoint-<step>/`` file by file, so a kill during a save leaves a folder that looks like a
checkpoint but is not one; and a finished checkpoint can later lose or damage a file (a full disk, a copy cut
short, a hand edit). `check_checkpoint` therefore verifies every file the trainer will load (weights, optimizer,
scheduler, RNG state of every process, trainer state, the ledger) is present and readable to its end, without
torch: safetensors headers against the file size, torch's zip archives by their CRCs, JSON by parsing.
`newest_intact` resumes from the newest checkpoint that passes and says which ones it skipped and why.
`CompletionMarker` (a callback) writes ``COMPLETE`` into a checkpoint folder after
transformers has finished saving it (``on_save`` runs after ``trainer_state.json``, the last file), flushed and
fsynced, together with the compute ledger's state. On resume, `newest_complete` picks the newest folder that has
the marker and `remove_incomplete` deletes the others, so neither resume nor checkpoint rotation ever uses one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import zipfile
from pathlib import Path

from transformers import TrainerCallback

__all__ = ["MARKER", "CompletionMarker", "newest_complete", "remove_incomplete", "checkpoint_step",
           "check_checkpoint", "check_model_folder", "newest_intact"]

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


def _check_safetensors(path: Path) -> str | None:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return f"{path.name} is truncated"
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            return f"{path.name} is truncated (header of {n} bytes in a {size}-byte file)"
        try:
            header = json.loads(fh.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return f"{path.name} has a damaged header"
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if 8 + n + end != size:
        return f"{path.name} is truncated or padded ({size} bytes, its header describes {8 + n + end})"
    return None


def _check_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        return f"{path.name} is damaged ({err})"
    return f"{path.name} is damaged (bad CRC in {bad})" if bad else None


def _check_json(path: Path) -> str | None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return f"{path.name} is not readable JSON"
    return None


def _weight_files(path: Path) -> tuple[list[Path], str | None]:
    """The model weight files `path` should hold (from the shard index when there is one), or the reason the index
    cannot be read. Files are listed whether or not they exist: `_first_problem` reports a missing one."""
    index = path / "model.safetensors.index.json"
    if index.is_file():
        if (why := _check_json(index)) is not None:
            return [], why
        return [path / n for n in sorted(set(json.loads(index.read_text())["weight_map"].values()))], None
    return [p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.is_file()], None


def _first_problem(files: list[Path]) -> str | None:
    """The first of `files` that is missing or damaged (by its kind: safetensors, torch zip, JSON), or None."""
    for file in files:
        if not file.is_file():
            return f"{file.name} is missing"
        if file.suffix == ".safetensors":
            why = _check_safetensors(file)
        elif file.suffix in (".pt", ".pth", ".bin"):
            why = _check_zip(file)
        else:
            why = _check_json(file)
        if why is not None:
            return why
    return None


def check_model_folder(path: str | Path) -> str | None:
    """None when `path` holds a whole Hugging Face model (config.json and readable weights), else the reason."""
    path = Path(path)
    if not (path / "config.json").is_file():
        return "no config.json (not a model folder saved with save_pretrained)"
    if (why := _check_json(path / "config.json")) is not None:
        return why
    weights, why = _weight_files(path)
    if why is not None:
        return why
    if not weights:
        return "no model weights (model.safetensors)"
    return _first_problem(weights)


def check_checkpoint(path: str | Path, world_size: int = 1, ledger_file: str | None = "ledger.json") -> str | None:
    """None when checkpoint `path` is whole, else the reason (the first missing or damaged file)."""
    path = Path(path)
    if not (path / MARKER).is_file():
        return "its save never finished (no COMPLETE marker)"
    weights, why = _weight_files(path)
    if why is not None:
        return why
    if not weights:
        return "the model weights are missing"
    rng = ["rng_state.pth"] if world_size == 1 else [f"rng_state_{r}.pth" for r in range(world_size)]
    return _first_problem([*weights, path / "optimizer.pt", path / "scheduler.pt", *(path / n for n in rng),
                           path / "trainer_state.json", *([path / ledger_file] if ledger_file else [])])


def newest_intact(folder: str | Path, world_size: int = 1) -> tuple[Path | None, list[tuple[Path, str]]]:
    """(newest whole checkpoint or None, [(skipped newer checkpoint, why), ...])."""
    skipped = []
    for ckpt in reversed(_checkpoints(Path(folder))):
        if not (ckpt / MARKER).is_file():
            continue  # an interrupted save: `remove_incomplete` handles those
        why = check_checkpoint(ckpt, world_size)
        if why is None:
            return ckpt, skipped
        skipped.append((ckpt, why))
    return None, skipped


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
