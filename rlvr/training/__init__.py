"""Training wiring around TRL's `GRPOTrainer`: the run (`train`), verifier rewards, the RL compute ledger,
the metrics tracker, the log-spaced evaluation schedule and sweeps of runs.

Import the submodules directly (this package re-exports nothing, so importing it never pulls in torch).
"""
