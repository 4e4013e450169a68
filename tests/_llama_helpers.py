"""Shared helpers for the sampling and loss tests: a tiny random Llama and left-padded prompts (not a test module)."""

from __future__ import annotations

import torch


def tiny_llama():
    """A 2-layer random Llama (vocabulary 40, pad 0, eos 1, bos 2) in eval mode, seeded."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=40, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=64, pad_token_id=0, eos_token_id=1,
                         bos_token_id=2)
    return LlamaForCausalLM(config).eval()


def left_padded(prompts: list[list[int]]):
    """(ids, attention mask) of token-id prompts, left-padded with 0."""
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
    return ids, (ids != 0).long()
