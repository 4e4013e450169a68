"""The strict YAML loader: values mean what they look like (RELIABILITY D1, D2)."""

import math

import pytest

from rlvr.yamlio import dump_yaml, load_yaml, parse_scalar


@pytest.mark.parametrize("text, expected", [
    # floats in every spelling PyYAML 1.1 gets wrong or right
    ("1e-5", 1e-5), ("1.0e-4", 1e-4), ("3.", 3.0), (".5", 0.5), ("-2.5E3", -2500.0), ("3.10", 3.1),
    # decimal integers only; leading zeros are decimal, never octal
    ("42", 42), ("-3", -3), ("010", 10),
    # booleans: only true/false
    ("true", True), ("False", False),
    # YAML 1.1 surprises stay strings (the typed config then rejects or accepts them by field type)
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("0x10", "0x10"), ("0o17", "0o17"),
    ("3:30", "3:30"), ("1_000", "1_000"),
    ("null", None), ("~", None), ("'1e-5'", "1e-5"),
])
def test_scalars(text, expected):
    value = parse_scalar(text)
    assert value == expected and type(value) is type(expected)


def test_special_floats():
    assert math.isinf(parse_scalar(".inf")) and math.isnan(parse_scalar(".nan"))


def test_round_trip_keeps_types():
    values = {"learning_rate": 1e-5, "name": "yes", "steps": 10, "flag": False, "ks": [1, 8], "none": None}
    assert load_yaml(dump_yaml(values)) == values


def test_syntax_error_names_source():
    with pytest.raises(ValueError, match="cfg.yaml is not valid YAML"):
        load_yaml("a: [1, 2", "cfg.yaml")
