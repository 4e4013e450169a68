"""Typed configs: unknown keys and wrong types are errors naming the key (RELIABILITY D1-D4)."""

from pathlib import Path

import pytest

from rlvr.config import ExperimentConfig, config_from_dict, load_config, parse_overrides
from rlvr.errors import UserError

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in (REPO / "configs").glob("*.yaml"))
GRPO_KNOBS = ("loss_type", "beta", "scale_rewards", "num_generations", "max_completion_length", "temperature",
              "learning_rate")


def write(tmp_path, text):
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    # misspelled key, with a suggestion (D3)
    ("num_generation: 8\n", "unknown config key 'num_generation'.*num_generations"),
    # wrong types name the key, the value and the fix (D1, D2)
    ("seed: 0x10\n", "'seed' expects int, got '0x10'"),
    ("bf16: yes\n", "'bf16' expects bool, got 'yes'.*true or false"),
    ("experiment: 3.10\n", "'experiment' expects str, got 3.1.*Quote it"),
    ("max_steps: 2.5\n", "'max_steps' expects int, got 2.5"),
    ("learning_rate: fast\n", "'learning_rate' expects float, got 'fast'"),
    ("eval_k: [1, x]\n", "'eval_k' expects int"),
    # GRPO constraints fail before any model work (D4)
    ("num_generations: 1\n", "'num_generations' has an invalid value 1"),
    ("prompts_per_step: 3\nnum_generations: 3\ngradient_accumulation_steps: 2\n", "gradient_accumulation_steps"),
    ("learning_rate: -1e-4\n", "'learning_rate' has an invalid value"),
    ("eval_k: [16]\neval_samples_per_problem: 8\n", "'eval_k'"),
    ("prompt_template: 'no placeholder'\n", "'prompt_template'"),
    ("- a\n- b\n", "must be a mapping"),
])
def test_bad_config_files(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("text, key, expected", [
    ("learning_rate: 1e-5\n", "learning_rate", 1e-5),  # a float, never the string '1e-5' (D1)
    ("learning_rate: 1\n", "learning_rate", 1.0),
    ("max_steps: 1e3\n", "max_steps", 1000),
    ("experiment: '3.10'\n", "experiment", "3.10"),
    ("eval_k: 4\n", "eval_k", [4]),
    ("model_name_or_path: null\n", "model_name_or_path", None),
])
def test_good_values(tmp_path, text, key, expected):
    cfg, _ = load_config(write(tmp_path, text))
    value = getattr(cfg, key)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("argv, message", [
    (["--num_generation", "8"], "unknown config key 'num_generation' in command-line overrides"),
    (["--seed"], "has no value"),
    (["seed", "3"], "expected an override like --key value"),
    (["--bf16", "on"], "'bf16' expects bool"),
])
def test_bad_overrides(tmp_path, argv, message):
    with pytest.raises(UserError, match=message):
        load_config(write(tmp_path, "seed: 0\n"), argv)


def test_overrides_apply_on_top_of_file(tmp_path):
    cfg, overrides = load_config(write(tmp_path, "learning_rate: 1e-5\nseed: 0\n"),
                                 ["--learning_rate", "1e-4", "--seed=3", "--eval_k", "1,8", "--max_steps", "7"])
    assert (cfg.learning_rate, cfg.seed, cfg.eval_k, cfg.max_steps) == (1e-4, 3, [1, 8], 7)
    assert overrides == {"learning_rate": 1e-4, "seed": 3, "eval_k": "1,8", "max_steps": 7}


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_parse_overrides_dash_names():
    assert parse_overrides(["--learning-rate", "3e-4"]) == {"learning_rate": 3e-4}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_configs_load_and_set_grpo_knobs(path):
    cfg, _ = load_config(path)
    from rlvr.yamlio import load_yaml

    raw = load_yaml(path.read_text())
    missing = [k for k in GRPO_KNOBS if k not in raw]
    assert not missing, f"{path.name} must set {missing} explicitly"
    assert isinstance(cfg, ExperimentConfig)


def test_defaults_are_valid():
    assert config_from_dict({}).generation_batch_size == 32 * 8


def test_the_configuration_reference_is_generated_from_the_dataclasses():
    """docs/configuration.md must match the config and plugin option dataclasses (regenerate it if this fails:
    `python -m rlvr.config > docs/configuration.md`)."""
    from pathlib import Path

    from rlvr.config import config_reference

    doc = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    assert doc.read_text() == config_reference()
