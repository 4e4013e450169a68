"""A character-level tokenizer in Hugging Face format, for the tiny local base models.

One token per character of printable ASCII plus newline (digits, operators, letters, space, punctuation: any
`prompt_template` written in ASCII), and four special tokens ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2,
``<unk>`` = 3; any other character (tab, non-ASCII) becomes ``<unk>``.

- Encoding prepends ``<bos>`` and never appends ``<eos>``: TRL (``processing_class(text=prompts)``) and
  `rlvr.evaluation.evaluate` tokenize prompts with the tokenizer's defaults, so prompts start with ``<bos>``
  exactly as in pretraining, and a prompt never looks finished. ``add_special_tokens=False`` gives the bare characters.
- Decoding concatenates characters (no spaces inserted, no clean-up of spaces before punctuation), so
  ``decode(encode(x), skip_special_tokens=True) == x`` for every text made of vocabulary characters.
- Saved with ``save_pretrained``, it loads with ``AutoTokenizer.from_pretrained`` like any hub tokenizer.

    tok = build_char_tokenizer()
    tok("12+34=")["input_ids"]     # [1, 22, 23, 16, 24, 25, 34]
"""

from __future__ import annotations

__all__ = ["SPECIAL_TOKENS", "CHARACTERS", "build_char_tokenizer", "char_vocab"]

SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")
CHARACTERS = "\n" + "".join(chr(c) for c in range(32, 127))  # newline + printable ASCII


def char_vocab() -> dict[str, int]:
    """Token -> id: special tokens first (pad=0, bos=1, eos=2, unk=3), then one id per character."""
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for ch in CHARACTERS:
        vocab[ch] = len(vocab)
    return vocab


def build_char_tokenizer():
    """The character tokenizer as a `PreTrainedTokenizerFast` (save it with ``save_pretrained``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = char_vocab()
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # every character is its own piece
    raw.decoder = decoders.Fuse()  # join pieces without spaces
    raw.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A $B",
                                                       special_tokens=[("<bos>", vocab["<bos>"])])
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>", padding_side="right", model_max_length=4096,
                                   clean_up_tokenization_spaces=False)
