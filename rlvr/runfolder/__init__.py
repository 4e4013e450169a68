"""The run folder: its layout and identity (`folder`), checkpoints, divergence guards, preemption and JSON Lines.

Everything a run writes to disk goes through these modules; they know the config only as one typed object
(`rlvr.config.ExperimentConfig`). Import the submodules directly (this package re-exports nothing).
"""
