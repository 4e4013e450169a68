"""Sweep files: strict validation, grid expansion with presets, --list / --index, skipping complete runs, --jobs."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.config import ExperimentConfig
from rlvr.errors import UserError
from rlvr.training.sweep import SweepPoint, load_sweep, run_parallel

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


def test_mapping_values_round_trip_through_the_command_line(tmp_path):
    """A preset that sets task_options (nested mappings) must reach `rlvr train` as the same value."""
    sweep = load_sweep(write(tmp_path, f"""
base: {REPO}/configs/reasoning_gym.yaml
grid:
  condition:
    - {{experiment: narrow, task_options: {{config: {{min_terms: 2, max_terms: 2, min_digits: 2, max_digits: 2}}}}}}
    - {{experiment: broad, task_options: {{config: {{min_terms: 2, max_terms: 2, min_digits: 1, max_digits: 3}},
        subset_field: num_digits}}}}
"""))
    narrow, broad = (sweep.config(p)[0] for p in sweep.points)
    assert narrow.task_options["config"] == {"min_terms": 2, "max_terms": 2, "min_digits": 2, "max_digits": 2}
    assert narrow.task_options["subset_field"] == "num_terms"  # the base config's other options are kept
    assert broad.task_options["config"]["max_digits"] == 3 and broad.task_options["subset_field"] == "num_digits"
    assert "--task_options '{" in sweep.command(sweep.points[0])


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


def test_list_into_a_closed_pipe_ends_quietly(tmp_path):
    sweep = write(tmp_path, f"base: {REPO}/configs/smoke.yaml\ngrid: {{seed: [0, 1, 2]}}\n")
    shell = f"{sys.executable} -m rlvr.cli sweep {sweep} --list | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("rlvr train ")


# --- --jobs N: points at once ----------------------------------------------------------------------------------

class FakeSweep:
    """Stands in for `Sweep`: each point runs a small Python program instead of `rlvr train`."""

    def __init__(self, root: Path, programs: list[str]):
        self.root, self.programs = root, programs
        self.points = [SweepPoint(i, {}) for i in range(len(programs))]

    def run_dir(self, point):
        return self.root / f"run{point.index}"

    def config(self, point):
        return ExperimentConfig(max_steps=4), {}

    def child_argv(self, point):
        return [sys.executable, "-c", self.programs[point.index]]


def timed(name: str, seconds: float = 1.0) -> str:
    return (f"import os, time; from pathlib import Path; start = time.time(); time.sleep({seconds}); "
            f"Path({name!r}).write_text(f'{{start}} {{time.time()}} {{os.environ[\"OMP_NUM_THREADS\"]}}')")


@pytest.mark.parametrize("jobs, overlap", [(1, False), (2, True)])
def test_jobs_run_points_at_once_with_one_thread_each(tmp_path, jobs, overlap):
    sweep = FakeSweep(tmp_path, [timed(str(tmp_path / f"t{i}")) for i in range(2)])
    out = io.StringIO()
    assert run_parallel(sweep, sweep.points, jobs, out=out) == []
    (a0, a1, threads0), (b0, b1, threads1) = [(tmp_path / f"t{i}").read_text().split() for i in range(2)]
    assert (float(b0) < float(a1)) == overlap
    if jobs > 1:
        assert threads0 == threads1 == "1"
    assert "started p0" in out.getvalue() and "finished p1" in out.getvalue() and "2/2 done" in out.getvalue()
    assert (tmp_path / "sweep-logs" / "run0.log").is_file()


def test_a_failing_point_is_reported_with_its_log_and_the_others_finish(tmp_path):
    fail = "import sys; print('something broke'); sys.exit(3)"
    sweep = FakeSweep(tmp_path, [fail, timed(str(tmp_path / "t1"), 0.1), timed(str(tmp_path / "t2"), 0.1)])
    out = io.StringIO()
    assert run_parallel(sweep, sweep.points, 2, out=out) == [(0, 3)]
    assert (tmp_path / "t1").exists() and (tmp_path / "t2").exists()
    assert "point 0 failed with exit status 3" in out.getvalue() and "something broke" in out.getvalue()


def test_combined_progress_shows_each_running_points_step(tmp_path, monkeypatch):
    monkeypatch.setattr("rlvr.training.sweep.PROGRESS_SECONDS", 0.0)
    program = ("import json, time, os; os.makedirs({d!r}, exist_ok=True); "
               "open(os.path.join({d!r}, 'metrics.jsonl'), 'w').write(json.dumps({{'step': 3}}) + '\\n'); "
               "time.sleep(2)")
    sweep = FakeSweep(tmp_path, [program.format(d=str(tmp_path / f"run{i}")) for i in range(2)])
    out = io.StringIO()
    run_parallel(sweep, sweep.points, 2, out=out)
    assert "p0 3/4 | p1 3/4" in out.getvalue()


@pytest.mark.parametrize("log, shown", [
    (b"", "p0 starting"),
    (b"INFO loading\npretrain:  24%|##4    | 371/1500 [03:58<13:26, 1.40step/s]\rpretrain:  25%|##5    | 372/1500 [",
     "p0 pretraining 372/1500"),
    (b"pretrain: 100%|##########| 1500/1500 [06:10<00:00, 4.05step/s]\nGRPO: 0%", "p0 pretraining 1500/1500"),
])
def test_progress_before_the_first_step_shows_pretraining(tmp_path, log, shown):
    from rlvr.training.sweep import _progress, _Running

    (tmp_path / "p.log").write_bytes(log)
    job = _Running(SweepPoint(0, {}), tmp_path / "run", tmp_path / "p.log", proc=None)
    assert _progress(job, {0: 8}) == shown


def test_jobs_two_on_real_points_then_skip_complete(tmp_path):
    sweep = write(tmp_path, f"""
base: {REPO}/configs/smoke.yaml
overrides: {{output_dir: {tmp_path}/runs, cache_dir: {tmp_path}/cache, max_steps: 1}}
grid: {{seed: [0, 1]}}
""")
    first = rlvr("sweep", str(sweep), "--jobs", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(list((tmp_path / "runs").glob("*-s*-*/summary.json"))) == 2
    again = rlvr("sweep", str(sweep), "--jobs", "2")
    assert again.returncode == 0 and again.stdout.count("complete") == 2 and "started" not in again.stdout
    bad = rlvr("sweep", str(sweep), "--jobs", "0")
    assert bad.returncode == 2 and "--jobs 0" in bad.stderr


def test_points_sharing_a_run_folder_never_run_at_once(tmp_path):
    class Shared(FakeSweep):
        def run_dir(self, point):
            return self.root / "same"

    program = ("import os, time; from pathlib import Path; d = Path({d!r}); d.mkdir(exist_ok=True); "
               "assert not (d / 'busy').exists(); (d / 'busy').touch(); time.sleep(0.5); (d / 'busy').unlink()")
    sweep = Shared(tmp_path, [program.format(d=str(tmp_path / "same"))] * 2)
    out = io.StringIO()
    assert run_parallel(sweep, sweep.points, 2, out=out) == []
    assert "2/2 done" in out.getvalue()
