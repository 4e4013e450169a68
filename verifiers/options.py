"""Plugin options: a verifier or a task declares its options as a frozen dataclass with help text.

    @dataclass(frozen=True)
    class CodeOptions:
        workers: int = option(2, "parallel sandbox runs in verify_batch", low=1)

    opts = build_options(CodeOptions, {"workers": 4}, "verifier 'code'")   # CodeOptions(workers=4)
    options_help(CodeOptions)   # one line per option, for `--help`

A config carries them as mappings (``verifier_options: {...}``, ``task_options: {...}``). They are validated
exactly like top-level config keys: an unknown key is an error naming the key, the plugin and the closest known
option; a value of the wrong type names the key and the expected type. Errors are ``OptionError`` (a
ValueError), which the CLI prints as one line with exit status 2.

Types understood: bool, int, float, str, ``X | None``, ``list[X]`` and ``dict`` (a free mapping, e.g. a
generator's own config). ``1e3`` is accepted for an int only when it is whole; bools are never numbers.
Range checks: ``option(..., low=, high=)``; a plugin adds its own in ``__post_init__`` (raise OptionError).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import field

__all__ = ["option", "build_options", "options_to_dict", "options_help", "coerce_value", "OptionError",
           "NoOptions", "changed_options", "field_default", "type_name"]


class OptionError(ValueError):
    """A bad option value or key; the message names the key and the fix."""


def option(default, help_: str, *, low=None, high=None):
    """A dataclass field with help text and an optional inclusive numeric range."""
    meta = {"help": help_, "low": low, "high": high}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """The options of a plugin that has none."""


def type_name(tp) -> str:
    """A type as its users write it: `int`, `str | None`."""
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def field_default(f: dataclasses.Field):
    """The default of a dataclass field, whether given as a value or as a factory."""
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()


def coerce_value(key: str, value, tp, where: str = "config"):
    """`value` as type `tp`, or OptionError naming `key` (in `where`) and the expected type. Never guesses."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce_value(key, value, inner, where)
    if origin is list:
        if isinstance(value, str):  # from the command line: "1,8"
            value = [_scalar(v) for v in value.split(",")]
        elif not isinstance(value, (list, tuple)):
            value = [value]
        return [coerce_value(key, v, args[0], where) for v in value]
    fix = {str: "Quote it in YAML if you meant text.", bool: "Write true or false."}.get(
        tp, f"Write a plain {type_name(tp)}.")
    bad = OptionError(f"{where} key '{key}' expects {type_name(tp)}, got {value!r} ({type(value).__name__}). {fix}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)  # 1e3 steps is fine; 1.5 steps is not
        raise bad
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad
    if tp is dict or origin is dict:
        if isinstance(value, dict):
            return dict(value)
        raise OptionError(f"{where} key '{key}' expects a mapping like {{a: 1}}, got {value!r}")
    raise AssertionError(f"unsupported option type {tp} for {key}")


def _scalar(text: str):
    """'8' -> 8, '0.5' -> 0.5, anything else stays text (the element type then accepts or rejects it)."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check_range(key: str, value, meta, where: str) -> None:
    low, high = meta.get("low"), meta.get("high")
    if value is None or isinstance(value, (bool, str, list, dict)):
        return
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"[{low}, {high}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise OptionError(f"{where} key '{key}' = {value!r} is out of range; use a value {span}")


def build_options(cls, values: dict | None, owner: str):
    """An instance of the options dataclass `cls` from a plain mapping, checked key by key.

    `owner` names the plugin in messages, e.g. "verifier 'code'" or "task 'add'".
    """
    values = {} if values is None else values
    if dataclasses.is_dataclass(values) and not isinstance(values, type):
        if isinstance(values, cls):
            return values
        values = options_to_dict(values)
    if not isinstance(values, dict):
        raise OptionError(f"options of {owner} must be a mapping like {{key: value}}, got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    where = f"{owner} option"
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            known = ", ".join(fields) or "none"
            raise OptionError(f"unknown option '{key}' for {owner}.{hint} Known options: {known}.")
        kwargs[key] = coerce_value(key, value, hints[key], where)
        _check_range(key, kwargs[key], fields[key].metadata, where)
    try:
        return cls(**kwargs)
    except OptionError:
        raise
    except (TypeError, ValueError) as err:  # a plugin's own __post_init__ check
        raise OptionError(f"{owner}: {err}") from None


def options_to_dict(opts) -> dict:
    """Plain mapping of an options instance (for config.yaml and the identity hash)."""
    return dataclasses.asdict(opts)


def changed_options(opts) -> dict:
    """Only the options that differ from their defaults: what identifies a run."""
    out = {}
    for f in dataclasses.fields(opts):
        if getattr(opts, f.name) != field_default(f):
            out[f.name] = getattr(opts, f.name)
    return out


def options_help(cls, indent: str = "    ") -> str:
    """One line per option: name, type, default, help."""
    hints = typing.get_type_hints(cls)
    lines = []
    for f in dataclasses.fields(cls):
        lines.append(f"{indent}{f.name} ({type_name(hints[f.name])}, default {field_default(f)!r}): "
                     f"{f.metadata.get('help', '')}")
    return "\n".join(lines) if lines else f"{indent}(no options)"
