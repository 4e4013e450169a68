"""The verifier contract: `Verdict` and the `Verifier` base class.

A verifier scores one (completion, reference) pair with a deterministic 0/1 reward. It is

- pure and deterministic: same input, same verdict, in any thread or process;
- total: model text can never make `verify` raise; it returns a `Verdict` with a status instead;
- bounded: every call returns within the verifier's own time limit;
- honest: `reward=None` means "cannot be scored" (bad reference, infrastructure failure) and is passed to TRL
  as None so the sample is masked. It is never silently turned into 0 or 1.

Usage::

    from verifiers import get_verifier
    v = get_verifier("math")
    v.verify("... so the answer is \\boxed{3}", "3")      # Verdict(reward=1.0, status='correct', detail='')
    v.verify_batch([(c, r), ...], workers=2)             # same order as input

A new verifier is one module with one decorated class (see `verifiers/registry.py`); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from verifiers.options import NoOptions, build_options

__all__ = ["Verdict", "Verifier"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one verification.

    reward: 1.0 or 0.0, or None when the pair cannot be scored (masked in training, never counted as 0 or 1).
    status: a short machine-readable word (e.g. ``correct``, ``wrong``, ``timeout``, ``bad_reference``).
    detail: free text for humans (what was extracted, why it failed); never parsed.
    """

    reward: float | None
    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        assert self.reward in (None, 0.0, 1.0), f"reward must be 1.0, 0.0 or None, got {self.reward!r}"
        assert isinstance(self.status, str) and self.status, "status must be a non-empty string"

    def to_dict(self) -> dict:
        return {"reward": self.reward, "status": self.status, "detail": self.detail}


class Verifier:
    """Base class. Subclasses set `statuses` and implement `verify`; they may override `verify_batch`.

    `name` is filled in by `@register`. Options: the class attribute `Options` is a frozen dataclass whose
    fields carry help text (see `verifiers/options.py`); the constructor takes them as keywords, checks them
    (unknown key, wrong type, out of range: `OptionError` naming the key) and stores them as `self.options`.
    They never change after construction. A subclass with its own ``__init__`` calls ``super().__init__(**options)``.
    """

    name: str = ""
    #: every status word this verifier can return (documented in its module docstring).
    statuses: tuple[str, ...] = ()
    #: the frozen dataclass of this verifier's options (config key `verifier_options`).
    Options: type = NoOptions

    def __init__(self, **options) -> None:
        self.options = build_options(type(self).Options, options, f"verifier '{self.name or type(self).__name__}'")

    def verify(self, completion: str, reference: str) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def verify_batch(self, pairs: Iterable[Sequence[str]], workers: int = 1) -> list[Verdict]:
        """Verify many pairs; results are in input order. The default runs them one by one."""
        return [self.verify(c, r) for c, r in pairs]

    def check_reference(self, reference: str) -> str | None:
        """Return None when `reference` is usable, else a message saying what is wrong with it.

        Used by dataset building and `rlvr audit` to reject bad references before any training starts.
        The default accepts any string.
        """
        if not isinstance(reference, str):
            return f"reference must be a string, got {type(reference).__name__}"
        return None

    def close(self) -> None:
        """Release worker processes or other resources. Safe to call twice."""

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
