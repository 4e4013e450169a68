"""The `rlvr` entry point: --help everywhere, clear one-line errors, no traceback, cheap start-up."""

import subprocess
import sys

import pytest

from rlvr.cli import COMMANDS, main

RLVR = [sys.executable, "-m", "rlvr.cli"]


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
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(argv, message):
    proc = subprocess.run([*RLVR, *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_light_commands_do_not_import_torch():
    code = ("import sys; from rlvr.cli import main\n"
            "for c in ('verify', 'fit', 'plot', 'audit', 'sweep'):\n"
            "    try: main([c, '--help'])\n"
            "    except SystemExit: pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]\n"
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
