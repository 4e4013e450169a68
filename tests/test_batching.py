"""`fast_batch_prep` (rlvr/training/batching.py): TRL's padding and prompt tokenising, vectorised, the same
tensors and ids."""

from __future__ import annotations

import pytest
import torch
from trl.trainer.utils import pad as trl_pad

from rlvr.training.batching import distinct_prompt_ids, fast_pad, fast_trl_pad


def _rows(*lengths, dtype=torch.long):
    return [torch.arange(1, n + 1).to(dtype) for n in lengths]


@pytest.mark.parametrize("tensors, kwargs", [
    (_rows(3, 1, 5), {}),                                                    # right, the default
    (_rows(3, 1, 5), {"padding_side": "left", "padding_value": 7}),          # left, a pad id
    (_rows(2, 2, 2), {"padding_side": "left"}),                              # nothing to pad
    (_rows(0, 3), {}),                                                       # an empty completion
    (_rows(0, 0), {"padding_side": "left"}),                                 # all empty
    (_rows(3, 1, 5), {"pad_to_multiple_of": 4}),                             # 5 -> 8 on the right
    (_rows(3, 1, 5), {"pad_to_multiple_of": 4, "padding_side": "left"}),     # 5 -> 8 on the left
    (_rows(4, 2), {"pad_to_multiple_of": 4}),                                # already a multiple
    (_rows(3, 1, dtype=torch.float32), {"padding_value": -1.5}),             # float rows (log-probs)
    (_rows(3, 1, dtype=torch.bool), {"padding_value": False}),               # bool masks
    ([torch.ones(2, 3), torch.ones(1, 3)], {}),                              # 2-D rows: TRL's own code
    ([torch.ones(2, dtype=torch.long), torch.ones(3)], {}),                  # mixed dtypes: TRL's own code
])
def test_fast_pad_gives_trls_tensor(tensors, kwargs):
    expected = trl_pad(tensors, **kwargs)
    got = fast_pad(tensors, **kwargs)
    assert got.dtype == expected.dtype and torch.equal(got, expected)


def test_fast_pad_hands_a_bad_side_to_trl_which_raises():
    with pytest.raises(ValueError, match="padding_side"):
        fast_pad(_rows(2, 1), padding_side="middle")


def test_fast_trl_pad_swaps_trls_name_for_the_block_only():
    import trl.trainer.grpo_trainer as grpo

    original = grpo.pad
    with pytest.raises(RuntimeError), fast_trl_pad():
        assert grpo.pad is not original and torch.equal(grpo.pad(_rows(2, 1)), trl_pad(_rows(2, 1)))
        raise RuntimeError("the step failed")
    assert grpo.pad is original


@pytest.mark.parametrize("prompts", [
    ["1+2=", "1+2=", "33+44=", "33+44=", "1+2="],   # repeats, not all consecutive
    ["5=", "6=", "7="],                              # nothing repeats
    ["", "", "9+9="],                                # an empty prompt
])
def test_distinct_prompt_ids_are_the_tokenizers_ids(tiny_hf_model, prompts):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_hf_model)
    assert distinct_prompt_ids(tok, prompts) == [list(x) for x in tok(text=prompts)["input_ids"]]

