"""Shared fixtures and helpers: tiny models built locally (no hub), the `rlvr` command line, the smoke config."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "configs" / "smoke.yaml"
RLVR = [sys.executable, "-m", "rlvr.cli"]


def run_rlvr(*args, timeout: float = 300, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run `rlvr ARGS...` in a fresh process (as a user would), capturing text output."""
    return subprocess.run([*RLVR, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})}, **kw)


def start_rlvr(*args, env: dict | None = None) -> subprocess.Popen:
    """Start `rlvr ARGS...` in the background (stdout and stderr merged, as text)."""
    return subprocess.Popen([*RLVR, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=REPO, env={**os.environ, **(env or {})})


def save_tiny_hf_model(folder: Path) -> None:
    """A tiny Llama + character tokenizer with a chat template, saved like any hub model."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    chars = sorted(set("0123456789+-*/=.,?!:;$#%()'\" \nabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ{}\\_"))
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, **{c: i + 4 for i, c in enumerate(chars)}}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    raw.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                  unk_token="<unk>")
    tok.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}assistant: {% endif %}")
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, intermediate_size=64, max_position_embeddings=512,
                                         pad_token_id=0, bos_token_id=1, eos_token_id=2))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)



@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory) -> Path:
    """A local HF-format model folder (random tiny Llama, character tokenizer with a chat template)."""
    folder = tmp_path_factory.mktemp("tiny_hf_model")
    save_tiny_hf_model(folder)
    return folder


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_hf_model):
    """The tiny local model and its tokenizer, loaded once per test module."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_hf_model), AutoTokenizer.from_pretrained(tiny_hf_model)


@pytest.fixture(scope="module")
def math_verifier():
    """One `math` verifier (3 s per answer) per test module; its worker processes are closed afterwards."""
    from verifiers import get_verifier

    verifier = get_verifier("math", timeout=3.0)
    yield verifier
    verifier.close()
