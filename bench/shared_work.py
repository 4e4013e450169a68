"""How much of the counted RL compute the shared prompt (share_prefill, share_prompt_forward) no longer computes.

    .venv/bin/python bench/shared_work.py configs/demo.yaml [configs/code_demo.yaml ...] [--rows 5000]

The compute ledger counts every row's prompt and completion tokens. On the default path all but the last prompt
token of a row are computed once per group of `num_generations` rows, so (num_generations - 1) / num_generations
of them are skipped in the prefill and in the loss forward and backward. This prints the mean prompt length of the
first `--rows` training prompts (the base model's tokenizer), and, given the tokens per row a run counted
(`--tokens-per-row`, else prompt + `max_completion_length` as an upper bound), the share of counted tokens skipped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--rows", type=int, default=5000, help="training prompts measured (default 5000)")
    parser.add_argument("--tokens-per-row", type=float, nargs="*", default=None,
                        help="counted tokens per row of each config (summary.json tokens / rows), in order")
    args = parser.parse_args()
    from transformers import AutoTokenizer

    from rlvr.config import load_config
    from rlvr.pretraining.pretrain import ensure_base_model

    for i, config in enumerate(args.configs):
        cfg, _ = load_config(config)
        tokenizer = AutoTokenizer.from_pretrained(ensure_base_model(cfg))
        train, _ = cfg.make_task().splits(cfg)
        rows = [train[j] for j in range(min(args.rows, len(train)))]
        prompt = statistics.mean(len(tokenizer(cfg.prompt_template.format(question=r["question"]))["input_ids"])
                                 for r in rows)
        per_row = (args.tokens_per_row[i] if args.tokens_per_row and i < len(args.tokens_per_row)
                   else prompt + cfg.max_completion_length)
        g = cfg.num_generations
        skipped = (prompt - 1) * (g - 1) / g / per_row
        print(f"{config}: prompt {prompt:.2f} tokens of {per_row:.2f} per row ({prompt / per_row:.0%}); "
              f"skipped on the default path: {skipped:.1%} of the counted tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
