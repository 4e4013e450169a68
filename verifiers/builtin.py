"""Discovers and imports the built-in verifier modules so that their `@register` decorators run.

Every public module of the `verifiers` package (name not starting with ``_``) other than the API modules is
imported; adding a verifier is therefore one new file and nothing else. Support code that is not a verifier
lives in modules or sub-packages whose names start with ``_``.
"""

import importlib
import pkgutil

import verifiers

API_MODULES = frozenset({"base", "registry", "builtin", "options"})

for _info in pkgutil.iter_modules(verifiers.__path__):
    if not _info.name.startswith("_") and _info.name not in API_MODULES:
        importlib.import_module(f"verifiers.{_info.name}")
