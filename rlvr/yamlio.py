"""A strict YAML loader for configs: YAML 1.2-style scalars, so values mean what they look like.

PyYAML implements YAML 1.1, whose implicit typing surprises ML configs: ``1e-5`` loads as the *string* '1e-5',
``yes``/``no``/``on``/``off`` load as booleans, ``0x10`` as 16 and ``3:30`` as 210. This loader resolves
``true``/``false`` only as booleans, decimal integers as int, any decimal float (``1e-5``, ``3.``, ``.5``, ``inf``)
as float, and leaves everything else a string, which the typed config then accepts or rejects by field type.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["StrictLoader", "load_yaml", "parse_scalar"]


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars (see module docstring)."""


# Drop every implicit resolver for bool/int/float, then add the YAML 1.2 core ones.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                   list("tTfF"))
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def _construct_int(loader, node):  # decimal only; "010" is 10, never octal
    return int(loader.construct_scalar(node))


StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(text: str, source: str = "<string>"):
    """Parse YAML text with `StrictLoader`; syntax errors become ValueError naming the source."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.YAMLError as err:
        raise ValueError(f"{source} is not valid YAML: {err}") from None


def parse_scalar(text: str):
    """Parse one command-line override value with the same rules as the config file."""
    return load_yaml(text, "command-line value")


def dump_yaml(values: dict) -> str:
    """Dump a flat mapping so that `load_yaml` reads back the same values (key order kept)."""
    return yaml.safe_dump(values, sort_keys=False, default_flow_style=None, width=119)
