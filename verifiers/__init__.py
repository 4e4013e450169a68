"""rlvr's verifiers: deterministic 0/1 rewards for math answers and code.

Not the unrelated PyPI package also called ``verifiers``: this one is installed from the rlvr repository
(``pip install -e .``). Importable without torch.

    from verifiers import get_verifier, list_verifiers, register, Verdict, Verifier
"""

from verifiers.base import Verdict, Verifier
from verifiers.options import option
from verifiers.registry import get_verifier, get_verifier_class, list_verifiers, register

__all__ = ["Verdict", "Verifier", "get_verifier", "get_verifier_class", "list_verifiers", "register", "option"]

# Built-in verifiers register themselves on import (the only import-time side effect of this package).
from verifiers import builtin as _builtin  # noqa: E402,F401
