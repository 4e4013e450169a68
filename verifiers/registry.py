"""Name -> verifier class registry, in the style of lm-eval's `lm_eval/api/registry.py`.

Register a verifier with a decorator in its own module::

    from verifiers import Verifier, Verdict, register

    @register("exact")
    class ExactVerifier(Verifier):
        statuses = ("correct", "wrong")
        def verify(self, completion, reference):
            ok = completion.strip() == reference.strip()
            return Verdict(1.0 if ok else 0.0, "correct" if ok else "wrong")

Built-ins register when `import verifiers` runs. Third-party packages register through the entry-point group
``rlvr.verifiers`` (``name = "pkg.module:Class"``); those load the first time an unknown name is looked up, or
when the names are listed.
Registering a name twice raises; an unknown name raises ValueError listing the known names and close matches.
"""

from __future__ import annotations

import difflib
import re

from verifiers.base import Verifier

__all__ = ["register", "get_verifier", "list_verifiers", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "rlvr.verifiers"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REGISTRY: dict[str, type[Verifier]] = {}
_entry_points_loaded = False


def register(name: str):
    """Class decorator: register a `Verifier` subclass under `name` (short lowercase noun)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"verifier name {name!r} must be a short lowercase identifier like 'math' or 'code'")

    def decorator(cls: type[Verifier]) -> type[Verifier]:
        if not (isinstance(cls, type) and issubclass(cls, Verifier)):
            raise TypeError(f"@register({name!r}) must decorate a subclass of verifiers.Verifier, got {cls!r}")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(
                f"verifier name {name!r} is already registered by {_REGISTRY[name].__module__}."
                f"{_REGISTRY[name].__qualname__}; pick another name"
            )
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib import metadata  # ~30 ms of imports: paid only when a name is not a built-in, or on listing

    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue  # already registered by importing its module
        cls = ep.load()
        register(ep.name)(cls)


def list_verifiers() -> list[str]:
    """Sorted names of all registered verifiers (built-in and plug-in)."""
    _load_entry_points()
    return sorted(_REGISTRY)


def get_verifier_class(name: str) -> type[Verifier]:
    if name in _REGISTRY:  # a plug-in can never shadow a registered name, so there is nothing more to look up
        return _REGISTRY[name]
    _load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = sorted(_REGISTRY)
        close = difflib.get_close_matches(str(name), known, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown verifier {name!r}. Known verifiers: {', '.join(known)}.{hint}") from None


def get_verifier(name: str, **options) -> Verifier:
    """Instantiate the verifier registered as `name` with keyword `options`."""
    return get_verifier_class(name)(**options)
