"""Run folder naming and lookup: the same config finds the same folder; a different config gets another."""

import pytest

from rlvr.config import config_from_dict
from rlvr.runfolder.folder import RunFolder, identity_hash, list_run_dirs


def find_or_name_run_dir(cfg, overrides=None):
    return RunFolder.for_config(cfg, overrides).path


def test_name_has_experiment_overrides_seed_and_hash(tmp_path):
    cfg = config_from_dict({"output_dir": str(tmp_path), "seed": 3, "learning_rate": 2e-4})
    path = find_or_name_run_dir(cfg, {"learning_rate": 2e-4, "seed": 3})
    assert path.parent == tmp_path
    assert path.name.endswith(f"-demo-learning_rate=0.0002-s3-{identity_hash(cfg)}")


def test_existing_folder_is_found_whatever_its_date(tmp_path):
    cfg = config_from_dict({"output_dir": str(tmp_path)})
    old = tmp_path / f"20200101-demo-s0-{identity_hash(cfg)}"
    old.mkdir()
    assert find_or_name_run_dir(cfg) == old


@pytest.mark.parametrize("change", [{"seed": 1}, {"learning_rate": 3e-4}, {"hidden_size": 64}])
def test_any_change_changes_identity(change):
    assert identity_hash(config_from_dict({})) != identity_hash(config_from_dict(change))


def test_location_does_not_change_identity(tmp_path):
    assert identity_hash(config_from_dict({})) == identity_hash(config_from_dict({"output_dir": str(tmp_path)}))


def test_explicit_run_dir_wins(tmp_path):
    cfg = config_from_dict({"run_dir": str(tmp_path / "mine")})
    assert find_or_name_run_dir(cfg) == tmp_path / "mine"


def test_complete_means_summary_exists(tmp_path):
    assert not RunFolder(tmp_path).is_complete()
    (tmp_path / "summary.json").write_text("{}")
    assert RunFolder(tmp_path).is_complete()


def test_list_run_dirs_expands_parents_and_rejects_others(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "evals.jsonl").write_text("")
    assert [p.name for p in list_run_dirs([tmp_path])] == ["a", "b"]
    with pytest.raises(FileNotFoundError):
        list_run_dirs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a run folder"):
        list_run_dirs([tmp_path / "empty"])
