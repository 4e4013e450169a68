"""Loading a config: a YAML file plus command-line overrides, strictly typed (see `rlvr.config.experiment`)."""

from __future__ import annotations

from pathlib import Path

from rlvr.config.experiment import (
    _FIELDS,
    _MAPPING_KEYS,
    ExperimentConfig,
    _unknown_key,
    config_from_dict,
)
from rlvr.errors import UserError
from rlvr.yamlio import load_yaml, parse_scalar

__all__ = ["load_config", "parse_overrides"]


def parse_overrides(overrides: list[str]) -> dict:
    """`['--lr', '1e-4', '--seed=3']` -> {'lr': 1e-4, 'seed': 3} (values parsed as YAML scalars)."""
    out, i = {}, 0
    while i < len(overrides):
        token = overrides[i]
        if not token.startswith("--") or len(token) < 3:
            raise UserError(f"expected an override like --key value, got {token!r}")
        key, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(overrides):
                raise UserError(f"override --{key} has no value; write --{key} VALUE")
            value, i = overrides[i + 1], i + 1
        key = key.replace("-", "_")
        key, dot, sub = key.partition(".")  # --task_options.operand_max 9
        if key not in _FIELDS or (dot and key not in _MAPPING_KEYS):
            raise _unknown_key(key, "command-line overrides")
        parsed = parse_scalar(value) if value != "" else ""
        if dot:
            out[key] = {**out.get(key, {}), sub: parsed}
        elif key in _MAPPING_KEYS and isinstance(parsed, dict):
            out[key] = {**out.get(key, {}), **parsed}
        else:
            out[key] = parsed
        i += 1
    return out


def load_config(path: str | Path, overrides: list[str] | None = None) -> tuple[ExperimentConfig, dict]:
    """Load a YAML config and apply `--key value` overrides. Returns (config, the overrides as a dict)."""
    path = Path(path)
    if path.is_dir():
        hint = " (a run folder: its config.yaml is inside)" if (path / "config.yaml").is_file() else ""
        raise UserError(f"{str(path)!r} is a folder, not a config file{hint}; pass a YAML file such as "
                        "configs/demo.yaml")
    if not path.is_file():
        raise UserError(f"config file {str(path)!r} not found; pass a YAML file such as configs/demo.yaml")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"config file {str(path)!r} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    values = load_yaml(text, str(path)) or {}
    if not isinstance(values, dict):
        raise UserError(f"{path} must be a mapping of key: value")
    for key in values:
        if key not in _FIELDS:
            raise _unknown_key(str(key), str(path))
    override_values = parse_overrides(overrides or [])
    merged = {**values, **override_values}
    for key in _MAPPING_KEYS:  # option overrides add to the file's mapping, key by key
        if isinstance(values.get(key), dict) and isinstance(override_values.get(key), dict):
            merged[key] = {**values[key], **override_values[key]}
    cfg = config_from_dict(merged, source=str(path))
    return cfg, override_values
