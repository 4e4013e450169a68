"""The `rlvr` entry point: --help everywhere, clear one-line errors, no traceback, cheap start-up."""

import json
import subprocess
import sys

import pytest
from conftest import run_rlvr

from rlvr.cli import COMMANDS, main


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: rlvr " + command in capsys.readouterr().out


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and all(name in out for name in COMMANDS)


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["trian"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "no/such/config.yaml"], "not found"),
    (["train", "configs/smoke.yaml", "--num_generation", "8"], "unknown config key 'num_generation'"),
    (["train", "configs/smoke.yaml", "--learning_rate", "fast"], "'learning_rate' expects float"),
    (["pretrain", "configs/smoke.yaml", "--hidden_size", "33", "--num_heads", "2"], "'num_heads'"),
    (["train", "configs"], "is a folder, not a config file"),
    (["train", "configs/gsm8k_qwen.yaml", "--model_name_or_path", ""], "task 'dataset' needs a base model"),
    (["train", "configs/smoke.yaml", "--task_options.operand_maxx", "9"],
     "unknown option 'operand_maxx' for task 'add'. Did you mean 'operand_max'?"),
    (["train", "configs/smoke.yaml", "--verifier_options.timeout", "soon"], "'timeout' expects float"),
    (["eval", "configs", "--config", "configs/smoke.yaml"], "no config.json"),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(argv, message):
    proc = run_rlvr(*argv, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_plot_of_a_run_with_only_the_base_evaluation_is_one_line(tmp_path):
    (tmp_path / "config.yaml").write_text("experiment: x\n")
    (tmp_path / "evals.jsonl").write_text(json.dumps({"step": 0, "compute_flops": 0.0, "benchmark": "b",
                                                      "pass@1": 0.2, "n": 8, "pass@k": {}}) + "\n")
    proc = run_rlvr("plot", tmp_path, timeout=120)
    assert proc.returncode == 2 and "only the base model was evaluated" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv", [["sweep", "configs/sweeps/size_ladder.yaml", "--list"], ["train", "--help"],
                                  ["verify", "--help"]])
def test_a_closed_pipe_ends_quietly(argv):
    proc = subprocess.run(f"{sys.executable} -m rlvr.cli {' '.join(argv)} | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() and proc.stderr == ""


def test_train_help_lists_each_plugins_options():
    out = run_rlvr("train", "--help", timeout=120).stdout
    assert "task_options, by task:" in out and "operand_max (int, default 99)" in out
    assert "verifier_options, by verifier:" in out and "wall_seconds" in out


def test_light_commands_do_not_import_torch():
    code = ("import sys; from rlvr.cli import main\n"
            "for c in ('verify', 'fit', 'plot', 'audit', 'sweep', 'study', 'forecast', 'frontier'):\n"
            "    try: main([c, '--help'])\n"
            "    except SystemExit: pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]\n"
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("n, ks", [(1, "1"), (3, "1,2,3"), (16, "1,2,4,8,16"), (64, "1,2,4,8,16,32,64"),
                                   (100, "1,2,4,8,16,32,64,100")])
def test_demo_test_time_ks_are_powers_of_two_then_n(n, ks):
    from rlvr.commands.demo import test_time_ks

    assert test_time_ks(n) == ks
