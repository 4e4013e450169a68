"""Held-out evaluation: benchmark specs (plain data, checked), the benchmark builder, sampling and pass@k / maj@k.

`specs` is what a config knows of its benchmarks; `benchmarks` builds their rows and verifiers; `evaluate`
samples and scores; `passk` holds the estimators. Import the submodules directly.
"""
