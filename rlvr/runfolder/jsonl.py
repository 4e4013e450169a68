"""Strict, crash-safe JSON Lines: the run folder's source of truth.

Writing: one strict-JSON object per line (``allow_nan=False``: NaN/Infinity are not JSON; non-finite floats are
written as null and listed under ``"nonfinite"`` so nothing is silently dropped), flushed and fsynced before
`append_jsonl` returns, so a kill loses at most the line being written.

Reading: `read_jsonl` skips a trailing partial line left by a kill mid-write (and reports it), but raises on a
corrupt line in the middle, which means something other than a crash damaged the file.
Rows written by several attempts of a resumed run carry ``attempt``; `latest_per_key` keeps the last one.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["append_jsonl", "read_jsonl", "repair_jsonl", "latest_per_key", "to_strict", "write_json_atomic"]


def to_strict(obj):
    """Return (obj with non-finite floats replaced by None, list of dotted keys that were non-finite)."""
    bad: list[str] = []

    def walk(x, path):
        if isinstance(x, float) and not math.isfinite(x):
            bad.append(path)
            return None
        if isinstance(x, dict):
            return {str(k): walk(v, f"{path}.{k}" if path else str(k)) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(x)]
        if hasattr(x, "item") and callable(x.item):  # numpy / torch scalars
            return walk(x.item(), path)
        return x

    return walk(obj, ""), bad


def _dumps(obj: dict) -> str:
    clean, bad = to_strict(obj)
    if bad:
        clean["nonfinite"] = bad
    return json.dumps(clean, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def append_jsonl(path: str | Path, rows: dict | Iterable[dict]) -> None:
    """Append one row (or several) as strict JSON lines, then flush and fsync."""
    rows = [rows] if isinstance(rows, dict) else list(rows)
    text = "".join(_dumps(r) + "\n" for r in rows)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: str | Path, *, strict_middle: bool = True) -> list[dict]:
    """Read every complete row. A partial last line (crash mid-write) is dropped; a bad middle line raises."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    rows = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            is_last = all(not rest.strip() for rest in lines[i + 1:])
            if is_last or not strict_middle:
                continue  # torn final write: the row was never committed
            raise ValueError(f"{path}: line {i + 1} is not valid JSON; the file was damaged") from None
    return rows


def repair_jsonl(path: str | Path) -> int:
    """Truncate a torn trailing line so that appends start on a fresh line. Returns bytes removed."""
    path = Path(path)
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as fh:
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return len(data) - keep


def latest_per_key(rows: Iterable[dict], key=("step",)) -> list[dict]:
    """Keep the last row for each value of `key` (later attempts of a resumed run win), in first-seen order."""
    out: dict = {}
    for row in rows:
        out[tuple(row.get(k) for k in key)] = row
    return list(out.values())


def write_json_atomic(path: str | Path, obj) -> None:
    """Write a JSON file via a temp file + fsync + rename, so readers never see half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    clean, _ = to_strict(obj)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(clean, fh, indent=2, allow_nan=False, ensure_ascii=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
