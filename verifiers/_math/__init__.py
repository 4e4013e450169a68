"""Internals of the `math` verifier (`verifiers/math.py` holds the policy and the public class).

Modules, in the order an answer meets them::

    extract.py   final-answer extraction and the in-process fast path (plain numbers; no sympy)
    tokens.py    the whitelist tokenizer of the answer grammar (pure Python)
    grammar.py   tokens -> sympy objects by constructor calls, never eval/sympify/parse_expr (workers only)
    compare.py   exact mathematical equality of parsed answers (workers only)
    pool.py      killable worker processes that own the slow path's time limit
    worker.py    the worker process: JSON lines in, verdicts out

Nothing here imports sympy at package import time: `extract` is used by the parent, the rest in workers.
"""
