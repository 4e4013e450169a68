"""The character tokenizer: exact round trip, bos but never eos on prompts, Hugging Face save/load."""

import pytest
from transformers import AutoTokenizer

from rlvr.pretraining.tokenizer import CHARACTERS, SPECIAL_TOKENS, build_char_tokenizer, char_vocab


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    """The built tokenizer and the same tokenizer after save_pretrained -> AutoTokenizer.from_pretrained."""
    built = build_char_tokenizer()
    folder = tmp_path_factory.mktemp("char_tokenizer")
    built.save_pretrained(folder)
    return {"built": built, "loaded": AutoTokenizer.from_pretrained(folder)}


ROUND_TRIP = [
    # task text
    "12+34=",
    "0+0=0",
    "99+99=198",
    # spaces and punctuation are kept exactly (no clean-up of " ." or " 's", no inserted spaces)
    "a , b . c ? don 't",
    "  two  leading, two trailing  ",
    "Question: what is 3 + 4?\nAnswer:",
    "\\boxed{\\frac{1}{2}} #### -7, (x^2) [y] {z} ~|`@$%&*_<>\"';:",
    "",
    "\n\n",
]


@pytest.mark.parametrize("which", ["built", "loaded"])
@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip_is_exact(tokenizers, which, text):
    tok = tokenizers[which]
    ids = tok(text)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert len(ids) == len(text) + 1  # one token per character, plus bos


@pytest.mark.parametrize("which", ["built", "loaded"])
def test_prompt_gets_bos_and_never_eos(tokenizers, which):
    tok = tokenizers[which]
    ids = tok("12+34=")["input_ids"]
    assert ids[0] == tok.bos_token_id == 1
    assert tok.eos_token_id not in ids
    assert tok("12+34=", add_special_tokens=False)["input_ids"] == ids[1:]
    assert ids == [1, 22, 23, 16, 24, 25, 34]  # the ids in the module docstring


@pytest.mark.parametrize("which", ["built", "loaded"])
def test_special_tokens(tokenizers, which):
    tok = tokenizers[which]
    assert (tok.pad_token, tok.bos_token, tok.eos_token, tok.unk_token) == SPECIAL_TOKENS
    assert (tok.pad_token_id, tok.bos_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert len(tok) == len(char_vocab()) == len(SPECIAL_TOKENS) + len(CHARACTERS)


@pytest.mark.parametrize("text", ["\t", "é", "€"])
def test_characters_outside_the_vocabulary_become_unk(tokenizers, text):
    tok = tokenizers["loaded"]
    assert tok(text, add_special_tokens=False)["input_ids"] == [tok.unk_token_id]


def test_batch_padding_and_decoding(tokenizers):
    tok = tokenizers["loaded"]
    enc = tok(["1+2=", "10+20="], padding=True)
    assert enc["input_ids"][0][-2:] == [0, 0] and enc["attention_mask"][0][-2:] == [0, 0]  # pads on the right
    assert tok.batch_decode(enc["input_ids"], skip_special_tokens=True) == ["1+2=", "10+20="]
    completion = tok("46", add_special_tokens=False)["input_ids"] + [tok.eos_token_id, tok.pad_token_id]
    assert tok.decode(completion, skip_special_tokens=True) == "46"
