"""Only complete checkpoints are resumed from (RELIABILITY C2)."""

from types import SimpleNamespace

import pytest

from rlvr.runfolder.checkpoints import MARKER, CompletionMarker, checkpoint_step, newest_complete, remove_incomplete


def make(folder, step, complete):
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"x")
    if complete:
        (path / MARKER).write_text(str(step))
    return path


@pytest.mark.parametrize("layout, newest", [
    ({5: True, 10: True}, 10),
    ({5: True, 10: False}, 5),          # killed while saving step 10
    ({5: False}, None),
    ({2: True, 10: True, 100: False, 9: True}, 10),  # numeric, not lexicographic, order
    ({}, None),
])
def test_newest_complete(tmp_path, layout, newest):
    for step, complete in layout.items():
        make(tmp_path, step, complete)
    found = newest_complete(tmp_path)
    assert (checkpoint_step(found) if found else None) == newest


def test_incomplete_ones_are_removed(tmp_path):
    make(tmp_path, 5, True)
    bad = make(tmp_path, 10, False)
    (tmp_path / "README.md").write_text("not a checkpoint")
    assert remove_incomplete(tmp_path) == [bad]
    assert not bad.exists() and (tmp_path / "checkpoint-5").exists() and (tmp_path / "README.md").exists()


def test_missing_folder():
    assert newest_complete("/nonexistent/x") is None


def test_marker_written_after_save_with_ledger_state(tmp_path):
    make(tmp_path, 3, False)
    saved = []
    ledger = SimpleNamespace(save=lambda folder: saved.append(folder))
    CompletionMarker(ledger).on_save(SimpleNamespace(output_dir=str(tmp_path)),
                                     SimpleNamespace(global_step=3, is_world_process_zero=True), None)
    assert (tmp_path / "checkpoint-3" / MARKER).read_text().strip() == "3"
    assert saved == [tmp_path / "checkpoint-3"]
