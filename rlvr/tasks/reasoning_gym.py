"""The task `reasoning_gym`: any registered reasoning-gym dataset (or a composite mixture) as a procedural task.

    task: reasoning_gym
    task_options: {dataset: chain_sum, config: {min_terms: 2, max_terms: 3}, subset_field: num_terms}

Rows: ``{"question": ..., "reference": '{"dataset": "chain_sum", "entry": {...}}', <subset_field>: level}``. The
question is the generator's question text, or with ``question_from: expression`` the entry's metadata value of
that key (short prompts for the tiny character model, e.g. ``4 - 1 - 7`` instead of the 70-character preamble);
the prompt is `prompt_template` around it. The reference is the whole entry as JSON, with the name of the dataset
that generated it (for a composite, the sub-dataset, ``metadata.source_dataset``), so the `reasoning_gym`
verifier can call that dataset's own scorer. ``subset_field`` names a metadata key (e.g. ``num_terms``) whose
value is copied into each row under that key: the difficulty level, by which evaluation reports pass@1.

Splits (reasoning-gym does not guarantee disjoint splits, so we enforce it):
- held-out: ``heldout_size`` items generated with a fixed split seed (`SPLIT_SEED`, not `cfg.seed`, so every RL
  seed is measured on the same benchmark); an item whose question repeats an earlier held-out question is dropped,
  and the count is logged;
- training: ``train_size`` items from a generator seeded by `cfg.seed`; an item whose question is held out is
  skipped (and counted, and logged), so training never sees a held-out question;
- pretraining (`pretrain_text`): items from a third seed stream, held-out questions skipped the same way.
Why training rejects held-out questions instead of the held-out set dropping questions seen in training: a
difficulty level with few distinct questions (chain_sum with two 1-digit terms has 200) would be drained from the
benchmark by 20,000 training draws, and the benchmark would move with `cfg.seed` and `train_size`.

Pretraining mixture (as in `add`): with probability `pretrain_answer_fraction` the completion is the right
answer, otherwise a plausible distractor, so that the base model can sample the right answer without preferring it
(pass@k well above pass@1). Option `distractor`: ``other_answer`` (default; any dataset) is the answer of another
generated item (same format, same magnitude); ``first_number`` is the first number of the question, the analogue of
`add`'s copy of a, which is deterministic given the prompt and so cheap for a tiny model to learn beside the task.
For the tiny model (no `model_name_or_path`), a prompt that does not fit its positions, or that uses a character
outside its vocabulary, is a ValueError naming the task, the length (or character) and the limit.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass

from rlvr.tasks import Task, register_task
from verifiers.options import OptionError, option

__all__ = ["ReasoningGymTask", "ReasoningGymOptions", "SPLIT_SEED"]

logger = logging.getLogger(__name__)

SPLIT_SEED = 20261203  # fixed: the benchmark does not move with cfg.seed
TRAIN_SEED = 1_000_003  # training generator seed = TRAIN_SEED * (cfg.seed + 1): disjoint index streams per seed
PRETRAIN_SEED = 7_777_777  # the pretraining stream's generator seed (the example order comes from `rng`)
_INDEX_SPAN = 2**31  # pretraining draws item indices uniformly from this range
_RESERVED = ("seed", "size")  # generator keys the task owns
_DISTRACTORS = ("other_answer", "first_number")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class ReasoningGymOptions:
    dataset: str = option("chain_sum", "registered reasoning-gym dataset name, or 'composite' with config.datasets")
    config: dict = option({}, "the dataset's own config, e.g. {min_terms: 2, max_terms: 4} (seed and size are set "
                              "by the task)")
    train_size: int = option(20000, "training items (held-out questions are skipped)", low=1)
    subset_field: str | None = option(None, "metadata key recorded in each row as its difficulty level, e.g. "
                                            "num_terms (None: no subsets)")
    question_from: str | None = option(None, "metadata key whose value is the question instead of the generator's "
                                             "text, e.g. expression (short prompts for the tiny model)")
    distractor: str = option("other_answer", "pretraining's wrong completions: other_answer (the answer of another "
                                             "item) or first_number (the question's first number, like add's copy "
                                             "of a; other_answer when it has none)")

    def __post_init__(self):
        if self.distractor not in _DISTRACTORS:
            raise OptionError(f"task 'reasoning_gym' option distractor must be one of {', '.join(_DISTRACTORS)}, got "
                              f"{self.distractor!r}")
        reserved = sorted(set(self.config) & set(_RESERVED))
        if reserved:
            raise OptionError(f"task 'reasoning_gym' option config must not set {reserved}: the task seeds the "
                              "generator itself (held-out, training and pretraining streams) and sizes it from "
                              "heldout_size / train_size")


def _generator(name: str, config: dict, seed: int, size: int):
    """reasoning_gym.create_dataset, with its failures (unknown name, bad config) as one clear ValueError."""
    import reasoning_gym
    from reasoning_gym.factory import DATASETS

    if name not in DATASETS:
        import difflib

        close = difflib.get_close_matches(name, list(DATASETS), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"task 'reasoning_gym': unknown dataset {name!r}.{hint} The {len(DATASETS)} registered "
                         "datasets are listed by `python -c 'import reasoning_gym; print(sorted(reasoning_gym."
                         "factory.DATASETS))'`")
    try:
        if name == "composite":  # its sub-dataset specs arrive as mappings {name, weight, config}
            from reasoning_gym.composite import DatasetSpec

            specs = config.get("datasets")
            if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
                raise ValueError("composite needs config.datasets: a list of {name, weight, config} mappings")
            config = {**config, "datasets": [DatasetSpec(s["name"], float(s.get("weight", 1.0)),
                                                         dict(s.get("config") or {})) for s in specs]}
        return reasoning_gym.create_dataset(name, seed=seed, size=size, **config)
    except (TypeError, ValueError, AssertionError, KeyError) as err:
        raise ValueError(f"task 'reasoning_gym': dataset {name!r} rejects config {config!r}: "
                         f"{type(err).__name__}: {err}") from None


@register_task("reasoning_gym")
class ReasoningGymTask(Task):
    verifier = "reasoning_gym"
    Options = ReasoningGymOptions

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._heldout_cache: dict[int, tuple[list[dict], frozenset[str], int]] = {}
        self._pretrain_stream = None

    @property
    def default_subset_field(self) -> str | None:
        """The row key holding each problem's difficulty level (evaluation reports pass@1 per value)."""
        return self.options.subset_field

    # --- items -> rows ----------------------------------------------------------------------------------------
    def question(self, entry: dict) -> str:
        key = self.options.question_from
        if key is None:
            return str(entry["question"])
        return str(self._metadata(entry, key, "question_from"))

    def _metadata(self, entry: dict, key: str, option_name: str):
        metadata = entry.get("metadata") or {}
        if key not in metadata:
            raise ValueError(f"task 'reasoning_gym' option {option_name}={key!r}: dataset {self.options.dataset!r} "
                             f"entries have no metadata key {key!r}; their keys are {sorted(metadata)}")
        return metadata[key]

    def row(self, entry: dict) -> dict:
        """One task row: question, JSON reference (dataset name + whole entry), and the difficulty level."""
        name = (entry.get("metadata") or {}).get("source_dataset") or self.options.dataset
        reference = json.dumps({"dataset": name, "entry": entry}, default=str)  # tuples -> lists; others -> str
        out = {"question": self.question(entry), "reference": reference}
        if self.options.subset_field is not None:
            out[self.options.subset_field] = self._metadata(entry, self.options.subset_field, "subset_field")
        return out

    # --- splits -----------------------------------------------------------------------------------------------
    def heldout(self, cfg) -> tuple[list[dict], frozenset[str]]:
        """Held-out rows (fixed split seed, distinct questions) and their question set."""
        if cfg.heldout_size not in self._heldout_cache:
            o = self.options
            gen = _generator(o.dataset, o.config, SPLIT_SEED, cfg.heldout_size)
            rows, seen = [], set()
            for i in range(cfg.heldout_size):
                row = self.row(gen[i])
                if row["question"] not in seen:
                    seen.add(row["question"])
                    rows.append(row)
            dropped = cfg.heldout_size - len(rows)
            if dropped:
                logger.warning("task reasoning_gym (%s): dropped %d of %d held-out items whose question repeats an "
                               "earlier held-out question; %d remain", o.dataset, dropped, cfg.heldout_size,
                               len(rows))
            self._heldout_cache[cfg.heldout_size] = (rows, frozenset(seen), dropped)
        rows, seen, _ = self._heldout_cache[cfg.heldout_size]
        return rows, seen

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        heldout, held = self.heldout(cfg)
        o = self.options
        limit = 20 * o.train_size + 1000  # a dataset whose every question is held out must not loop forever
        gen = _generator(o.dataset, o.config, TRAIN_SEED * (cfg.seed + 1), limit)
        train, skipped, index = [], 0, 0
        while len(train) < o.train_size:
            if index >= limit:
                raise ValueError(f"task 'reasoning_gym' ({o.dataset}): {skipped} of {index} training items repeat a "
                                 f"held-out question; the dataset's config has too few distinct problems for "
                                 f"heldout_size {cfg.heldout_size}. Lower heldout_size or widen the config")
            row = self.row(gen[index])
            index += 1
            if row["question"] in held:
                skipped += 1
                continue
            train.append(row)
        if skipped:
            logger.info("task reasoning_gym (%s): skipped %d training items whose question is held out",
                        o.dataset, skipped)
        self._check_fits(cfg, heldout + train)
        return train, heldout

    # --- pretraining ------------------------------------------------------------------------------------------
    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        _, held = self.heldout(cfg)
        if self._pretrain_stream is None:
            o = self.options
            self._pretrain_stream = _generator(o.dataset, o.config, PRETRAIN_SEED, _INDEX_SPAN)
        stream = self._pretrain_stream
        for _ in range(1000):
            entry = stream[rng.randrange(_INDEX_SPAN)]
            question = self.question(entry)
            if question not in held:
                break
        else:
            raise ValueError(f"task 'reasoning_gym' ({self.options.dataset}): 1000 pretraining draws in a row were "
                             "held-out questions; widen the dataset's config or lower heldout_size")
        answer = str(entry["answer"])
        completion = answer
        if rng.random() >= cfg.pretrain_answer_fraction:
            completion = self._distractor(question, answer, stream, rng)
        prompt = cfg.prompt_template.format(question=question)
        self._check_text(cfg, prompt, completion)
        return prompt, completion

    def _distractor(self, question: str, answer: str, stream, rng: random.Random) -> str:
        if self.options.distractor == "first_number":
            first = _NUMBER.search(question)
            if first is not None:
                return first.group()
        for _ in range(20):  # the answer of another item: same format and magnitude, (almost always) wrong
            other = str(stream[rng.randrange(_INDEX_SPAN)]["answer"])
            if other != answer:
                return other
        return answer

    # --- the tiny model's limits -----------------------------------------------------------------------------
    def _check_fits(self, cfg, rows: list[dict]) -> None:
        if cfg.model_name_or_path:
            return  # a hub model: `max_prompt_length` and the model's own limits apply
        longest = max(rows, key=lambda r: len(r["question"]))
        self._check_text(cfg, cfg.prompt_template.format(question=longest["question"]), "x" *
                         cfg.max_completion_length)
        for row in rows:
            self._check_chars(cfg.prompt_template.format(question=row["question"]))

    def _check_text(self, cfg, prompt: str, completion: str) -> None:
        if cfg.model_name_or_path:
            return
        from rlvr.pretraining.pretrain import MAX_POSITIONS

        tokens = 1 + len(prompt) + len(completion) + 1  # <bos> prompt completion <eos>, one token per character
        if tokens > MAX_POSITIONS:
            raise ValueError(f"task 'reasoning_gym' ({self.options.dataset}): a prompt of {len(prompt)} characters "
                             f"plus a completion of up to {len(completion)} is {tokens} tokens with <bos>/<eos>, "
                             f"more than the tiny model's limit of {MAX_POSITIONS} positions: {prompt[:60]!r}. Pick "
                             "a config with shorter questions (or question_from: a short metadata key), or a "
                             "smaller max_completion_length")
        self._check_chars(prompt + completion)

    def _check_chars(self, text: str) -> None:
        from rlvr.pretraining.tokenizer import CHARACTERS

        bad = sorted(set(text) - set(CHARACTERS))
        if bad:
            raise ValueError(f"task 'reasoning_gym' ({self.options.dataset}): text {text[:60]!r} uses character(s) "
                             f"{bad} outside the tiny model's vocabulary (printable ASCII and newline); pick another "
                             "dataset or config, or use a hub model (model_name_or_path)")
