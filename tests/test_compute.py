"""The compute ledger: N, FLOPs per token, and cumulative counting from TRL's logged token numbers."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from rlvr.training.compute import ComputeLedger, FlopsPerToken, flops_params, recomputes_old_logps


def tiny_llama(tied: bool) -> LlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=20, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=32, max_position_embeddings=16, tie_word_embeddings=tied)
    return LlamaForCausalLM(cfg)


@pytest.mark.parametrize("tied", [True, False])
def test_n_is_non_embedding_plus_output_projection(tied):
    model = tiny_llama(tied)
    embed = 20 * 16
    blocks = sum(p.numel() for p in model.model.layers.parameters())
    blocks += sum(p.numel() for p in model.model.norm.parameters())
    assert flops_params(model) == blocks + embed  # lm_head (20 x 16) counted once, input embedding not
    if not tied:
        assert sum(p.numel() for p in model.parameters()) == blocks + 2 * embed


@pytest.mark.parametrize("iters, recompute, beta, per_token", [
    (1, False, 0.0, 2 + 6),          # generation + one update pass
    (2, False, 0.0, 2 + 12),         # every optimisation pass is charged
    (1, True, 0.0, 2 + 6 + 2),       # old-policy log-probs
    (1, False, 0.04, 2 + 6 + 2),     # reference model forward
    (3, True, 0.1, 2 + 18 + 4),
])
def test_flops_per_token(iters, recompute, beta, per_token):
    assert FlopsPerToken.for_grpo(1000, iters, recompute, beta).total == per_token * 1000


@pytest.mark.parametrize("accum, spg, iters, vllm, expected", [
    (1, 1, 1, False, False),   # on-policy, aligned: TRL skips the extra pass
    (4, 4, 1, False, False),
    (1, 1, 2, False, True),    # mu > 1 needs old log-probs
    (2, 4, 1, False, True),    # generation every 4 micro-steps, update every 2
    (1, 1, 1, True, True),     # vLLM importance-sampling correction
])
def test_old_logp_rule_mirrors_trl(accum, spg, iters, vllm, expected):
    assert recomputes_old_logps(accum, spg, iters, vllm) is expected


def test_ledger_accumulates_from_cumulative_num_tokens():
    ledger = ComputeLedger(FlopsPerToken.for_grpo(100, 1, False, 0.0), 100)
    logs = [{"num_tokens": 50.0}, {"num_tokens": 120.0}, {"loss": 0.1}, {"num_tokens": 120.0}]
    for log in logs:
        ledger.on_log(None, None, None, logs=log)
    assert ledger.tokens == 120
    assert logs[1]["compute/flops"] == 120 * 800 and logs[1]["tokens/step"] == 70
    assert logs[1]["compute/flops_generate"] == 120 * 200 and logs[1]["compute/flops_train"] == 120 * 600
    assert "compute/flops" not in logs[2]  # not a training log
    assert logs[3]["tokens/step"] == 0 and logs[3]["compute/flops"] == logs[1]["compute/flops"]


def test_ledger_state_round_trip_and_mismatch(tmp_path):
    ledger = ComputeLedger(FlopsPerToken.for_grpo(100, 1, False, 0.0), 100)
    ledger.add_tokens(42)
    ledger.save(tmp_path)
    again = ComputeLedger(FlopsPerToken.for_grpo(100, 1, False, 0.0), 100)
    again.load(tmp_path)
    assert (again.tokens, again.flops) == (42, ledger.flops)
    other = ComputeLedger(FlopsPerToken.for_grpo(200, 1, False, 0.0), 200)
    with pytest.raises(ValueError, match="different FLOP constants"):
        other.load(tmp_path)
