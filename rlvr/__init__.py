"""rlvr: a testbed for scaling reinforcement learning with verifiable rewards.

GRPO (TRL's `GRPOTrainer`) on a small causal LM, deterministic verifier rewards (`verifiers` package), a compute
ledger that counts RL FLOPs, and a tracker that records held-out accuracy against RL compute so that the claim
"accuracy grows linearly in log RL compute" can be fitted, extrapolated and falsified. The command line entry
point is `rlvr` (see `rlvr/cli.py`). Importing this package is cheap: torch is imported only by the modules that
train, generate or evaluate.
"""

__version__ = "0.1.0"
