"""Strict, crash-safe JSONL (RELIABILITY C7, C9, C10, C11)."""

import json
import math

import pytest

from rlvr.runfolder.jsonl import append_jsonl, latest_per_key, read_jsonl, repair_jsonl, to_strict, write_json_atomic


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_becomes_null_and_is_flagged(tmp_path, value):
    path = tmp_path / "m.jsonl"
    append_jsonl(path, {"step": 1, "kl": value, "nested": {"x": [1.0, value]}})
    line = path.read_text().strip()
    json.loads(line, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    row = json.loads(line)
    assert row["kl"] is None and row["nested"]["x"] == [1.0, None]
    assert row["nonfinite"] == ["kl", "nested.x[1]"]


def test_every_line_is_strict_json(tmp_path):
    path = tmp_path / "m.jsonl"
    append_jsonl(path, [{"step": i, "v": i / 3, "s": "π"} for i in range(5)])
    for line in path.read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(c))


def test_torn_last_line_is_dropped_and_repaired(tmp_path):
    path = tmp_path / "m.jsonl"
    append_jsonl(path, [{"step": 1}, {"step": 2}])
    with open(path, "a") as fh:
        fh.write('{"step": 3, "rew')  # killed mid-write
    assert [r["step"] for r in read_jsonl(path)] == [1, 2]
    assert repair_jsonl(path) > 0
    append_jsonl(path, {"step": 3})
    assert [r["step"] for r in read_jsonl(path)] == [1, 2, 3]


def test_corrupt_middle_line_raises(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\nnot json\n{"step": 3}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_jsonl(path)


def test_missing_file_reads_empty(tmp_path):
    assert read_jsonl(tmp_path / "none.jsonl") == []


def test_latest_attempt_wins():
    rows = [{"step": 1, "a": 1, "attempt": 1}, {"step": 2, "attempt": 1}, {"step": 2, "attempt": 2, "v": 9}]
    assert latest_per_key(rows) == [rows[0], rows[2]]


def test_atomic_json_write(tmp_path):
    path = tmp_path / "summary.json"
    write_json_atomic(path, {"x": math.nan, "y": 1})
    assert json.loads(path.read_text()) == {"x": None, "y": 1}
    assert not list(tmp_path.glob(".*tmp"))


def test_numpy_like_scalars_are_converted():
    class Scalar:
        def item(self):
            return 2.5

    assert to_strict({"a": Scalar()}) == ({"a": 2.5}, [])
