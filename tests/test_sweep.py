"""Sweep files: strict validation, grid expansion with presets, --list / --index, skipping complete runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.errors import UserError
from rlvr.sweep import load_sweep

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path, text):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


def test_grid_with_presets_expands_in_order(tmp_path):
    sweep = load_sweep(write(tmp_path, f"""
base: {REPO}/configs/smoke.yaml
overrides: {{max_steps: 3}}
grid:
  model:
    - {{hidden_size: 32, num_layers: 1}}
    - {{hidden_size: 64, num_layers: 2}}
  seed: [0, 1]
"""))
    assert [p.overrides for p in sweep.points] == [
        {"max_steps": 3, "hidden_size": h, "num_layers": n, "seed": s} for h, n in ((32, 1), (64, 2)) for s in (0, 1)]
    assert sweep.command(sweep.points[0]).startswith("rlvr train ")
    assert len({sweep.run_dir(p) for p in sweep.points}) == 4


@pytest.mark.parametrize("text, message", [
    ("base: {repo}/configs/smoke.yaml\ngrid: {{seeds: [0, 1]}}\n", "unknown config key 'seeds'.*'seed'"),
    ("base: {repo}/configs/smoke.yaml\ngrids: {{seed: [0]}}\n", "unknown sweep key"),
    ("grid: {{seed: [0]}}\n", "'base' must name"),
    ("base: nope.yaml\n", "not found"),
    ("base: {repo}/configs/smoke.yaml\ngrid: {{seed: 3}}\n", "non-empty list"),
    ("base: {repo}/configs/smoke.yaml\ngrid: {{num_generations: [1, 4]}}\n", "point 0 .* not a valid config"),
    ("base: {repo}/configs/smoke.yaml\ngrid: {{model: [{{hidden: 3}}]}}\n", "unknown config key 'hidden'"),
])
def test_invalid_sweeps_name_the_problem(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        load_sweep(write(tmp_path, text.format(repo=REPO)))


def rlvr(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "rlvr.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


def test_list_index_and_skip_complete(tmp_path):
    sweep = write(tmp_path, f"""
base: {REPO}/configs/smoke.yaml
overrides: {{output_dir: {tmp_path}/runs, cache_dir: {tmp_path}/cache, max_steps: 1}}
grid: {{seed: [0, 1]}}
""")
    listed = rlvr("sweep", str(sweep), "--list")
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 2
    first = rlvr("sweep", str(sweep), "--index", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "new" in first.stdout and list((tmp_path / "runs").glob("*-s1-*/summary.json"))
    again = rlvr("sweep", str(sweep), "--index", "1")
    assert again.returncode == 0 and "complete" in again.stdout
    bad = rlvr("sweep", str(sweep), "--index", "5")
    assert bad.returncode == 2 and "out of range" in bad.stderr
