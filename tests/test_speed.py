"""The GRPO loop's speed options (rlvr/training/speed.py): the verdict cache, the bf16 probe, the run identity of
result-changing options, checkpointing honoured, evaluation in full precision, and one real TRL step on each path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from _llama_helpers import left_padded, tiny_llama

from rlvr.config import ExperimentConfig, load_config
from rlvr.config.hardware import native_bf16
from rlvr.training.speed import IDENTITY_BASELINE, PLAIN
from verifiers.base import Verdict, Verifier
from verifiers.cache import TRANSIENT, CachedVerifier

REPO = Path(__file__).resolve().parents[1]


class Counting(Verifier):
    """Scores 'ok' 1, 'slow' as a timeout, 'bad' as unscorable, anything else 0; counts the pairs it really ran."""

    name, statuses = "counting", ("correct", "wrong", "timeout", "bad_reference")

    def __init__(self):
        super().__init__()
        self.ran: list[tuple] = []

    def verify(self, completion, reference):
        self.ran.append((completion, reference))
        if completion == "slow":
            return Verdict(0.0, "timeout")
        if completion == "bad":
            return Verdict(None, "bad_reference")
        return Verdict(1.0 if completion == "ok" else 0.0, "correct" if completion == "ok" else "wrong")

    def canonical(self, completion):
        return completion.upper()


@pytest.mark.parametrize("batches, ran", [
    # a group of 8 identical completions is one run
    ([[("ok", "r")] * 8], 1),
    # seen in an earlier batch: not run again
    ([[("ok", "r"), ("no", "r")], [("ok", "r"), ("no", "r")]], 2),
    # the same completion with another reference is another pair
    ([[("ok", "r1"), ("ok", "r2")]], 2),
    # a timeout is shared inside its batch but run again in the next one
    ([[("slow", "r")] * 3, [("slow", "r")]], 2),
    # an unscorable verdict is never kept
    ([[("bad", "r")], [("bad", "r")]], 2),
    # the texts are never confused by their concatenation
    ([[("ab", "c"), ("a", "bc")]], 2),
])
def test_cache_runs_each_distinct_pair_once(batches, ran):
    inner = Counting()
    cached = CachedVerifier(inner, size=100)
    for batch in batches:
        assert cached.verify_batch(batch) == Counting().verify_batch(batch)  # same verdicts, same order
    assert len(inner.ran) == ran


def test_cache_forgets_the_least_recently_used():
    inner = Counting()
    cached = CachedVerifier(inner, size=2)
    cached.verify_batch([("a", "r"), ("b", "r")])
    cached.verify_batch([("a", "r")])          # a is now the most recent
    cached.verify_batch([("c", "r")])          # evicts b
    cached.verify_batch([("a", "r"), ("b", "r")])
    assert [c for c, _ in inner.ran] == ["a", "b", "c", "b"]
    assert cached.hits == 2 and cached.misses == 4


def test_cache_is_the_wrapped_verifier_otherwise():
    inner = Counting()
    cached = CachedVerifier(inner)
    assert (cached.name, cached.statuses) == (inner.name, inner.statuses)
    assert cached.canonical("x") == "X"
    assert cached.verify(7, "r").status == "wrong"  # odd types reach the verifier, uncached
    assert {"timeout", "memory", "infra"} <= TRANSIENT


@pytest.mark.parametrize("size", [0, -1, True, 2.5, "10"])
def test_cache_size_must_be_positive(size):
    with pytest.raises(ValueError, match="cache size"):
        CachedVerifier(Counting(), size=size)


@pytest.mark.parametrize("text, expected", [
    ("processor: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 sse\n", True),
    ("flags : fpu amx_bf16 amx_tile\n", True),
    ("flags : fpu avx2 avx512f\n", False),
    ("processor: 0\n", False),
    (None, False),  # no /proc/cpuinfo (macOS)
])
def test_native_bf16_reads_the_cpu_flags(tmp_path, text, expected):
    path = tmp_path / "cpuinfo"
    if text is not None:
        path.write_text(text)
    assert native_bf16(path) is expected


def test_plain_path_names_real_keys_and_resolves():
    fields = set(ExperimentConfig.__dataclass_fields__)
    assert set(PLAIN) <= fields and set(IDENTITY_BASELINE) <= set(PLAIN)
    cfg, _ = load_config(REPO / "configs/demo.yaml", [x for k, v in PLAIN.items() for x in (f"--{k}", str(v))])
    assert (cfg.bf16, cfg.gradient_checkpointing, cfg.reward_cache, cfg.attn_implementation) == \
        (False, True, 0, "sdpa")
    default, _ = load_config(REPO / "configs/demo.yaml")
    assert default.bf16 is native_bf16() and default.attn_implementation == "eager"
    assert ExperimentConfig(model_name_or_path="/some/model", task="dataset").attn_implementation == "sdpa"


def test_identity_changes_only_for_result_changing_options():
    plain = ExperimentConfig(bf16=False, attn_implementation="sdpa")
    assert ExperimentConfig(bf16=False, attn_implementation="sdpa", reward_cache=0, gradient_checkpointing=True,
                            overlap_reward=True, inference_mode_generation=False).identity() == plain.identity()
    assert ExperimentConfig(bf16=True, attn_implementation="sdpa").identity() != plain.identity()
    assert ExperimentConfig(bf16=False, attn_implementation="eager").identity() != plain.identity()


OLD_RUNS = sorted((REPO / "docs/frontier/runs").glob("*/config.yaml")) + \
    sorted((REPO / "docs/difficulty_study/runs").glob("*/config.yaml"))


@pytest.mark.parametrize("run", OLD_RUNS, ids=lambda p: f"{p.parent.parent.parent.name}/{p.parent.name}")
def test_folders_made_before_the_options_keep_their_names(run):
    """config.yaml files written before attn_implementation existed still hash to their folder's name."""
    text = run.read_text()
    assert "attn_implementation" not in text
    cfg = ExperimentConfig.from_yaml(text, str(run))
    assert cfg.attn_implementation == "sdpa" and cfg.bf16 is False
    run_id = json.loads((run.parent / "summary.json").read_text())["run_id"]
    assert run_id.endswith("-" + cfg.identity())


@pytest.mark.parametrize("checkpointing", [False, True])
def test_gradient_checkpointing_is_what_the_config_says(tmp_path, checkpointing):
    """TRL 1.16 defaults it to True; the key decides."""
    from rlvr.training.train import grpo_args

    cfg = ExperimentConfig(gradient_checkpointing=checkpointing, bf16=False)
    args = grpo_args(cfg, tmp_path)
    assert args.gradient_checkpointing is checkpointing and args.bf16 is False


def test_evaluation_samples_without_the_training_autocast():
    from rlvr.evaluation.evaluate import full_precision

    model = torch.nn.Linear(2, 2)
    original = model.forward
    model._original_forward = original
    model.forward = lambda x: "autocast"  # what accelerate's mixed-precision wrapper stands for
    with full_precision(model):
        assert model.forward is original
    assert model.forward(None) == "autocast"
    plain = torch.nn.Linear(2, 2)
    with full_precision(plain):  # nothing wrapped: nothing changes
        assert "forward" not in vars(plain)


@pytest.mark.parametrize("path", ["plain", "fast"])
def test_one_real_grpo_step_on_each_path(tmp_path, path, monkeypatch):
    """A TRL step trains on both paths; the fast one with bf16 autocast forced on (emulated where not native)."""
    from conftest import SMOKE

    from rlvr.runfolder.folder import RunFolder
    from rlvr.training.train import build_trainer

    extra = [x for k, v in PLAIN.items() for x in (f"--{k}", str(v))] if path == "plain" else ["--bf16", "true"]
    cfg, _ = load_config(SMOKE, ["--output_dir", str(tmp_path / "runs"), "--cache_dir", str(tmp_path / "cache"),
                                 "--max_steps", "1", *extra])
    run = RunFolder(tmp_path / "run")
    with run.writer(cfg):
        pass
    trainer, ledger, reward_fn, _, _ = build_trainer(cfg, run)
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    from trl import GRPOTrainer

    seen = []  # at each generation: does the policy's forward carry accelerate's autocast wrapper?
    inference = []  # at each generation: is torch's inference mode on?
    original = GRPOTrainer._generate_single_turn

    def spy(self, *args, **kwargs):
        original_forward = getattr(self.model, "_original_forward", None)
        seen.append(original_forward is not None and self.model.forward != original_forward)
        inference.append(torch.is_inference_mode_enabled())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GRPOTrainer, "_generate_single_turn", spy)
    from rlvr.training import trainer as trainer_module

    shared = []  # loss forwards the shared prompt forward served
    real_shared = trainer_module.shared_prompt_logps

    def spy_shared(*args, **kwargs):
        out = real_shared(*args, **kwargs)
        shared.append(out is not None)
        return out

    monkeypatch.setattr(trainer_module, "shared_prompt_logps", spy_shared)
    trainer.train()
    assert isinstance(trainer, GRPOTrainer) and seen == [False]  # sampled from fp32 weights on both paths
    assert (True in shared) is (path == "fast")
    assert inference == [path == "fast"] and not torch.is_inference_mode_enabled()
    assert trainer.args.bf16 is (path == "fast")
    assert trainer.args.gradient_checkpointing is (path == "plain")
    assert any(not torch.equal(before[k], v.detach()) for k, v in trainer.model.named_parameters())
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())  # fp32 master weights
    assert isinstance(reward_fn.verifier, CachedVerifier) is (path == "fast")
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert ("reward_cache/hits" in rows[-1]) is (path == "fast")


@pytest.mark.parametrize("prompts, prefilled", [
    ([[5, 6, 7]] * 4 + [[8, 9]] * 4, True),                      # two groups of four, different lengths
    ([[5, 6, 7, 8]] * 3 + [[9, 10]] + [[11, 12, 13]] * 2, True),  # groups of unequal size
    ([[5, 6], [7, 8, 9], [10, 11]], False),                      # nothing repeats: generate as it is
    ([[5]] * 4, True),                                           # one-token prompts: shared too
])
def test_shared_prefill_samples_what_generate_samples(prompts, prefilled):
    """Same seed, same completions: the shared prefill only skips recomputing repeated prompts."""
    from transformers import GenerationConfig

    from rlvr.training.trainer import shared_prefill_generate

    model = tiny_llama()
    ids, mask = left_padded(prompts)
    config = GenerationConfig(max_new_tokens=6, do_sample=True, top_k=0, pad_token_id=0, eos_token_id=1)
    calls = []
    forward = model.forward
    model.forward = lambda *a, **k: calls.append(k["input_ids"].shape) or forward(*a, **k)
    with torch.no_grad():
        torch.manual_seed(3)
        plain = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        first = len(calls)
        torch.manual_seed(3)
        shared = shared_prefill_generate(model, model.generate)(input_ids=ids, attention_mask=mask,
                                                                generation_config=config)
    assert torch.equal(plain, shared)
    distinct = len({tuple(p) for p in prompts})
    if prefilled:  # one forward over the distinct prompts, then one token per row at a time: no per-row prefill
        assert calls[first] == (distinct, ids.shape[1]) and all(c[1] == 1 for c in calls[first + 1:])
    else:  # the forwards generate alone makes
        assert calls[first:] == calls[:first]
    assert calls[0] == ids.shape  # generate alone prefills every row


@pytest.mark.parametrize("settings, rows", [
    ({"num_return_sequences": 2, "do_sample": True}, 8),   # two samples per row
    ({"num_beams": 2, "do_sample": False}, 4),              # beam search
])
def test_shared_prefill_leaves_beams_and_several_sequences_to_generate(settings, rows):
    """Rows that generate itself expands (beams, num_return_sequences) cannot take a cache made for the rows given."""
    from transformers import GenerationConfig

    from rlvr.training.trainer import shared_prefill_generate

    model = tiny_llama()
    ids, mask = left_padded([[5, 6, 7]] * 4)
    config = GenerationConfig(max_new_tokens=4, top_k=0, pad_token_id=0, eos_token_id=1, **settings)
    with torch.no_grad():
        torch.manual_seed(3)
        plain = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        torch.manual_seed(3)
        shared = shared_prefill_generate(model, model.generate)(input_ids=ids, attention_mask=mask,
                                                                generation_config=config)
    assert torch.equal(plain, shared) and shared.shape[0] == rows


@pytest.mark.parametrize("key", ["share_prefill", "share_prompt_forward"])
def test_sharing_is_on_by_default_off_in_the_plain_path_and_in_the_identity(key):
    base = {"bf16": False, "attn_implementation": "sdpa", "share_prefill": False, "share_prompt_forward": False}
    assert getattr(ExperimentConfig(), key) is True and PLAIN[key] is False and IDENTITY_BASELINE[key] is False
    assert ExperimentConfig(**{**base, key: True}).identity() != ExperimentConfig(**base).identity()


def _scored(model, batch, keep: int, shared: bool):
    """Log-probs and entropies of the last `keep` tokens and the gradient of their sum, by the shared forward or
    by TRL's own; None when the shared forward declines."""
    from rlvr.training.trainer import shared_prompt_logps

    model.zero_grad()
    ids, mask = batch
    if shared:
        out = shared_prompt_logps(model, ids, mask, keep, torch.enable_grad)
        if out is None:
            return None
    else:
        labels = ids.masked_fill(mask == 0, -100)
        labels[:, :-keep] = -100
        out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    logps, entropy = out.log_probs[:, -keep:], out.entropy[:, -keep:]
    (logps.sum() + entropy.sum()).backward()
    return logps.detach(), entropy.detach(), {k: p.grad.clone() for k, p in model.named_parameters()}


@pytest.mark.parametrize("prompts, shared", [
    ([[5, 6, 7]] * 3 + [[8, 9]] * 3 + [[3, 4, 5, 6]] * 2, True),  # three groups, three prompt lengths
    ([[5, 6, 7, 8]] * 4, True),                                   # one group
    ([[5, 6], [7, 8, 9], [10, 11]], False),                       # nothing repeats: TRL's forward
    ([[5]] * 4, False),                                           # one-token prompts: nothing to share
])
def test_shared_prompt_forward_gives_trls_logps_entropies_and_gradients(prompts, shared):
    """Rows shuffled (as TRL shuffles the batch) and completions right-padded: the shared forward still matches."""
    from trl.trainer.utils import add_fused_lm_head

    model = tiny_llama().train()
    add_fused_lm_head(model, temperature=0.7, outputs=("log_probs", "entropy"))
    ids, mask = left_padded(prompts)
    gen = torch.Generator().manual_seed(1)
    keep = 5
    completion = torch.randint(3, 40, (len(prompts), keep), generator=gen)
    completion_mask = torch.ones_like(completion)
    completion_mask[0, 3:] = 0
    completion_mask[-1, 1:] = 0
    order = torch.randperm(len(prompts), generator=gen)
    batch = (torch.cat([ids, completion * completion_mask], 1)[order], torch.cat([mask, completion_mask], 1)[order])
    reference = _scored(model, batch, keep, shared=False)
    fast = _scored(model, batch, keep, shared=True)
    assert (fast is not None) is shared
    if shared:
        assert torch.allclose(fast[0], reference[0], atol=1e-5) and torch.allclose(fast[1], reference[1], atol=1e-5)
        assert all(torch.allclose(fast[2][k], reference[2][k], atol=1e-5) for k in reference[2])
        assert any(reference[2][k].abs().sum() > 0 for k in reference[2])  # the comparison is not of zeros


# --- overlap_reward: verify finished completions while the batch is still sampled ------------------------------

@pytest.mark.parametrize("prefetched, batch", [
    # the whole group prefetched: the call runs nothing and counts one miss and seven hits, as without prefetching
    ([("ok", "r")], [("ok", "r")] * 8),
    # part prefetched, part not: the rest is run by the call
    ([("ok", "r")], [("ok", "r"), ("no", "r"), ("no", "r")]),
    # a prefetched timeout is not kept: the call runs it again
    ([("slow", "r")], [("slow", "r")]),
    # an unscorable verdict is not kept either
    ([("bad", "r")], [("bad", "r"), ("ok", "r")]),
    # prefetched pairs the call never asks for change nothing it counts
    ([("x", "r"), ("y", "r")], [("ok", "r")]),
    # a pair cached before the prefetch is a hit as it always was
    ([], [("seen", "r")] * 2),
])
def test_prefetch_gives_the_same_verdicts_and_counts(prefetched, batch):
    plain, fetched = CachedVerifier(Counting()), CachedVerifier(Counting())
    for cached in (plain, fetched):
        cached.verify_batch([("seen", "r")])
    fetched.prefetch(prefetched)
    before_call = len(fetched.inner.ran)
    assert fetched.verify_batch(batch) == plain.verify_batch(batch)
    assert (fetched.hits, fetched.misses) == (plain.hits, plain.misses)
    ran_by_call = fetched.inner.ran[before_call:]
    kept = {p for p in prefetched if p[0] not in ("slow", "bad")}
    assert not kept & set(ran_by_call)  # what the prefetch kept was not run again


class _Failing(CachedVerifier):
    def prefetch(self, pairs, workers=None):
        raise RuntimeError("sandbox down")


@pytest.mark.parametrize("steps, eos_rows", [
    ([[1, 5], [6, 1], [0, 0]], [0, 1]),   # row 0 ends at step 1, row 1 at step 2
    ([[5, 5], [6, 6]], []),               # cut by the length limit: left to the reward call
    ([[1, 1]], [0, 1]),                   # both end at once: one batch
])
def test_prefetcher_verifies_each_row_once_it_ends(steps, eos_rows):
    from rlvr.training.overlap import RewardPrefetcher

    cached = CachedVerifier(Counting())
    refs = ["r0", "r1"]
    prefetcher = RewardPrefetcher(cached, refs, lambda ids: "ok" if ids[-1] == 1 else "no", eos_ids=[1])
    prefetcher.put(torch.zeros(2, 3, dtype=torch.long))  # the prompt
    for step in steps:
        prefetcher.put(torch.tensor(step))
    prefetcher.end()
    prefetcher.close()
    assert sorted(cached.inner.ran) == sorted(("ok", refs[i]) for i in eos_rows)
    assert prefetcher.queued == prefetcher.verified == len(eos_rows) and not prefetcher._thread.is_alive()


def test_prefetcher_failure_is_never_fatal():
    from rlvr.training.overlap import RewardPrefetcher

    prefetcher = RewardPrefetcher(_Failing(Counting()), ["r"], lambda ids: "ok", eos_ids=[1])
    prefetcher.put(torch.zeros(1, 2, dtype=torch.long))
    prefetcher.put(torch.tensor([1]))
    prefetcher.close()
    assert isinstance(prefetcher.error, RuntimeError) and prefetcher.verified == 0


def test_only_out_of_process_verifiers_are_prefetched():
    from rlvr.training.overlap import worth_prefetching
    from verifiers import get_verifier

    math, code = get_verifier("math"), get_verifier("code")
    try:
        assert worth_prefetching(CachedVerifier(code)) and not worth_prefetching(code)  # needs the cache
        assert not worth_prefetching(CachedVerifier(math))  # in-process work: nothing to overlap
    finally:
        code.close()


def _run_metrics(tmp_path, config, name, overrides):
    from rlvr.runfolder.folder import RunFolder
    from rlvr.training.train import build_trainer

    cfg, _ = load_config(config, ["--output_dir", str(tmp_path / "runs"), "--cache_dir", str(tmp_path / "cache"),
                                  "--save_steps", "100", "--max_steps", "2", *overrides])
    run = RunFolder(tmp_path / name)
    with run.writer(cfg):
        pass
    trainer, _, reward_fn, _, _ = build_trainer(cfg, run)
    try:
        trainer.train()
    finally:
        reward_fn.verifier.close()
    rows = [json.loads(x) for x in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
    keep = ("rewards/", "verifier/", "reward_cache/", "completions/", "loss", "compute/flops", "entropy")
    return [{k: v for k, v in r.items() if k.startswith(keep)} for r in rows], trainer


@pytest.mark.parametrize("key", ["inference_mode_generation", "reserve_kv_cache", "fit_logprob_chunk",
                                 "fast_batch_prep"])
def test_exact_options_give_the_same_real_run(tmp_path, key):
    """Two real GRPO steps with an exact option off and on (the others at their defaults): the same completions
    (lengths, rewards), the same losses and entropies."""
    from conftest import SMOKE

    plain, _ = _run_metrics(tmp_path, SMOKE, "plain", [f"--{key}", "false"])
    fast, _ = _run_metrics(tmp_path, SMOKE, "fast", [f"--{key}", "true"])
    assert fast == plain and len(plain) == 2 and any(k.startswith("completions/") for k in plain[0])


def test_overlapped_reward_is_exact_in_a_real_code_run(tmp_path):
    """Two real GRPO steps with the code sandbox, prefetching on and off: the same rewards, verdict counts, cache
    hits and losses, and the prefetch really verified completions during sampling."""
    code = REPO / "configs" / "code_smoke.yaml"
    plain, plain_trainer = _run_metrics(tmp_path, code, "plain", ["--overlap_reward", "false"])
    fast, fast_trainer = _run_metrics(tmp_path, code, "fast", ["--overlap_reward", "true"])
    plain_stats, fast_stats = plain_trainer.prefetch_stats, fast_trainer.prefetch_stats
    assert fast == plain and len(plain) == 2 and "reward_cache/hits" in plain[0]
    assert plain_stats["batches"] == 0
    assert fast_stats["batches"] == 2 and fast_stats["verified"] > 0


def test_fast_batch_prep_really_runs_in_a_real_step(tmp_path, monkeypatch):
    """The exact-run test above could pass with the option never taking effect: count its calls in a real run."""
    from conftest import SMOKE

    import rlvr.training.batching as batching

    calls = {"pad": 0, "tokenize": 0}
    fast_pad, distinct = batching.fast_pad, batching.distinct_prompt_ids

    def counted_pad(*args, **kwargs):
        calls["pad"] += 1
        return fast_pad(*args, **kwargs)

    def counted_tokenize(*args, **kwargs):
        calls["tokenize"] += 1
        return distinct(*args, **kwargs)

    monkeypatch.setattr(batching, "fast_pad", counted_pad)
    monkeypatch.setattr(batching, "distinct_prompt_ids", counted_tokenize)
    _run_metrics(tmp_path, SMOKE, "fast", ["--fast_batch_prep", "true", "--max_steps", "1"])
    assert calls["tokenize"] == 1 and calls["pad"] >= 4  # TRL pads prompts, masks and completions each step
