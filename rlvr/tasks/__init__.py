"""Procedural tasks: seeded problem generators with a disjoint held-out split and a pretraining corpus.

A task is one module in `rlvr/tasks/` with one decorated class (see `add.py`); modules here are imported on the
first `get_task` / `list_tasks` call, never at import of `rlvr`::

    @dataclass(frozen=True)
    class AddOptions:
        operand_max: int = option(99, "operands are drawn from 0..operand_max", low=1)

    @register_task("add")
    class AddTask(Task):
        Options = AddOptions                  # config key `task_options` (see `verifiers/options.py`)
        verifier = "math"                     # the default verifier when a config names none
        def splits(self, cfg): ...            # -> (train_rows, heldout_rows), rows = {"question", "reference"}
        def pretrain_text(self, cfg, rng): ... # -> (prompt, completion) of one pretraining example

    train, heldout = get_task(cfg.task, cfg.task_options).splits(cfg)

- Rows are deterministic in the config. The held-out split is fixed by the task's own split seed (not `cfg.seed`),
  so every RL seed is measured on the same benchmark; it is disjoint from training and never pretrained on.
- The prompt shown to the model is ``cfg.prompt_template.format(question=row["question"])``; the completion is
  what follows it, ended by eos.
- `pretrain_text` returns the prompt (already formatted with `prompt_template`) and the completion separately,
  rather than one string, so that pretraining can put its loss on the completion only.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import random

from verifiers.options import NoOptions, build_options

__all__ = ["Task", "register_task", "get_task", "get_task_class", "list_tasks"]

_TASKS: dict[str, type] = {}


class Task:
    """Base class of procedural tasks. Options (config key `task_options`) are checked at construction."""

    name = ""
    verifier = "math"  # the default verifier of this task's references (config `verifier: null` picks it)
    Options: type = NoOptions

    def __init__(self, **options) -> None:
        self.options = build_options(type(self).Options, options, f"task '{self.name}'")

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError


def register_task(name: str):
    def decorator(cls):
        if name in _TASKS and _TASKS[name] is not cls:
            raise ValueError(f"task name {name!r} is already registered by {_TASKS[name].__module__}")
        cls.name = name
        _TASKS[name] = cls
        return cls

    return decorator


def _load_builtin() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def list_tasks() -> list[str]:
    _load_builtin()
    return sorted(_TASKS)


def get_task(name: str, options: dict | None = None) -> Task:
    """The procedural task registered as `name`, with its `options`; ValueError listing known names otherwise."""
    return get_task_class(name)(**(options or {}))


def get_task_class(name: str) -> type[Task]:
    _load_builtin()
    if name not in _TASKS:
        close = difflib.get_close_matches(name, list(_TASKS), n=2)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown task {name!r}. Known procedural tasks: {', '.join(sorted(_TASKS))}, "
                         f"or 'dataset' to read dataset_path.{hint}")
    return _TASKS[name]
