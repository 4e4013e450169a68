"""Help text generated from the config and plugin option dataclasses: `rlvr train --help` and
docs/configuration.md (`python -m rlvr.config > docs/configuration.md`; a test fails when the file drifts)."""

from __future__ import annotations

import dataclasses
import typing

from rlvr.config.experiment import _HINTS, ExperimentConfig
from verifiers.options import field_default, type_name

__all__ = ["config_help", "config_reference", "plugin_help"]


def config_help() -> str:
    """One line per key: name, type, default, help (used by --help and the README)."""
    lines = []
    for f in dataclasses.fields(ExperimentConfig):
        lines.append(f"  --{f.name} ({type_name(_HINTS[f.name])}, default {field_default(f)!r}): "
                     f"{f.metadata['help']}")
    return "\n".join(lines)


def config_reference() -> str:
    """docs/configuration.md: every config key and every plugin option, generated from the dataclasses
    (`python -m rlvr.config > docs/configuration.md`; a test fails when the file drifts)."""
    from rlvr.tasks import get_task_class, list_tasks
    from verifiers import get_verifier_class, list_verifiers

    def cell(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    def table(cls, first: str, hints: dict) -> list[str]:
        rows = [f"| `{f.name}` | {cell(type_name(hints[f.name]))} | `{field_default(f)!r}` | "
                f"{cell(f.metadata.get('help', ''))} |" for f in dataclasses.fields(cls)]
        return [f"| {first} | type | default | meaning |", "|---|---|---|---|", *rows] if rows else ["(no options)"]

    out = ["# Configuration keys", "", "Generated from `rlvr/config/experiment.py` and the plugins' option "
           "dataclasses by `python -m rlvr.config > docs/configuration.md`; `rlvr train --help` prints the same.", "",
           *table(ExperimentConfig, "key", _HINTS)]
    for title, names, get in (("task_options", list_tasks(), get_task_class),
                              ("verifier_options", list_verifiers(), get_verifier_class)):
        for name in names:
            cls = get(name).Options
            out += ["", f"## `{title}` of `{name}`", "", *table(cls, "option", typing.get_type_hints(cls))]
    return "\n".join(out) + "\n"


def plugin_help() -> str:
    """Every task's and verifier's options with their help (for `rlvr train --help` and `rlvr verify --help`)."""
    from rlvr.tasks import get_task_class, list_tasks
    from verifiers import get_verifier_class, list_verifiers
    from verifiers.options import options_help

    lines = ["task_options, by task:"]
    for name in list_tasks():
        lines += [f"  {name}:", options_help(get_task_class(name).Options)]
    lines.append("verifier_options, by verifier:")
    for name in list_verifiers():
        lines += [f"  {name}:", options_help(get_verifier_class(name).Options)]
    return "\n".join(lines)
