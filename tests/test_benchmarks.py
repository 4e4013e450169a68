"""eval_benchmarks: schema, sources, overlap refusal, and every bad input as one line naming the benchmark."""

import json

import pytest

from rlvr.config import config_from_dict
from rlvr.data import build_datasets
from rlvr.errors import UserError
from rlvr.evaluation.benchmarks import build_benchmarks
from rlvr.evaluation.specs import parse_specs

BASE = {"task": "add", "task_options": {"operand_max": 99, "train_size": 2000}, "heldout_size": 64,
        "eval_problems": 32, "eval_samples_per_problem": 8, "eval_k": [8]}


def cfg_with(benchmarks, **extra):
    return config_from_dict({**BASE, **extra, "eval_benchmarks": benchmarks})


def build(cfg, **kw):
    verifier = cfg.make_verifier()
    train, heldout = build_datasets(cfg, verifier)
    return build_benchmarks(cfg, verifier, heldout, train, **kw)


def test_without_eval_benchmarks_the_heldout_split_as_today():
    cfg = cfg_with([])
    (bench,) = build(cfg)
    assert bench.name == "add_heldout" and len(bench.rows) == 32 and bench.ks == (8,)
    assert bench.rows[0]["prompt"] == bench.rows[0]["question"] and bench.subset_field is None


def test_several_sources_with_their_own_settings(tmp_path):
    data = tmp_path / "extra.jsonl"
    data.write_text("".join(json.dumps({"q": f"{a}*2=", "a": str(2 * a), "level": a % 3}) + "\n" for a in range(20)))
    cfg = cfg_with([
        {"name": "sums", "source": "heldout"},
        {"name": "sums_3digit", "source": "task", "task_options": {"operand_max": 999}, "problems": 16,
         "samples": 4, "k": [2, 4], "allow_overlap": True},
        {"name": "sums_prompt", "prompt_template": "Q: {question}"},
        {"name": "doubles", "source": "dataset", "dataset_path": str(data), "split": "train", "question_column": "q",
         "answer_column": "a", "subset_field": "level"},
    ])
    sums, big, prompt, doubles = build(cfg)
    assert [b.name for b in (sums, big, prompt, doubles)] == ["sums", "sums_3digit", "sums_prompt", "doubles"]
    assert big.ks == (2, 4) and big.settings.samples_per_problem == 4 and len(big.rows) == 16
    assert any(int(r["reference"]) > 198 for r in big.rows)  # larger operands than training
    assert prompt.rows[0]["prompt"] == "Q: " + sums.rows[0]["question"]
    assert len(doubles.rows) == 20 and doubles.subset_field == "level" and doubles.rows[4]["level"] == 1


def test_k_and_samples_overrides_for_test_time():
    cfg = cfg_with([{"name": "a"}, {"name": "b", "source": "task", "task_options": {"operand_max": 9},
                                    "allow_overlap": True}])
    benches = build(cfg, samples=64, ks=(1, 8, 64), problems=5)
    assert all(b.ks == (1, 8, 64) and b.settings.samples_per_problem == 64 and len(b.rows) == 5 for b in benches)
    with pytest.raises(UserError, match=r"benchmark 'a'.*k \[64\] larger than 8"):
        build(cfg, ks=(1, 64))


def test_overlap_with_training_is_refused_naming_benchmark_and_count():
    # operands 0..9 are all in the 0..99 training data (100 pairs, 2000 draws): nearly every prompt overlaps
    cfg = cfg_with([{"name": "small_sums", "source": "task", "task_options": {"operand_max": 9}}],
                   heldout_size=16, eval_problems=16)
    with pytest.raises(UserError, match=r"benchmark 'small_sums': \d+ of 16 prompts also occur in the training "
                                        r"data.*allow_overlap: true"):
        build(cfg)
    cfg = cfg_with([{"name": "small_sums", "source": "task", "task_options": {"operand_max": 9},
                     "allow_overlap": True}], heldout_size=16, eval_problems=16)
    (bench,) = build(cfg)
    assert bench.overlap > 0


def test_the_heldout_split_never_overlaps_training():
    assert build(cfg_with([{"name": "sums"}]))[0].overlap == 0


BAD_SPECS = [
    ([{"name": "x", "source": "web"}], r"benchmark 'x' has unknown source 'web'; use one of heldout, task"),
    ([{"name": "x", "k": [16]}], r"benchmark 'x': k \[16\] larger than its 8 samples"),
    ([{"name": "x", "samples": 4, "k": [8]}], r"benchmark 'x': k \[8\] larger than its 4 samples"),
    ([{"name": "x", "probelms": 4}], r"unknown option 'probelms' for eval_benchmarks: benchmark 'x'.*'problems'"),
    ([{"name": "x", "problems": "many"}], r"benchmark 'x' option key 'problems' expects int"),
    ([{"source": "heldout"}], r"eval_benchmarks entry 0 has no 'name'"),
    ([{"name": "x"}, {"name": "x"}], r"benchmark name 'x' is used twice"),
    ([{"name": "x", "source": "task", "task": "nope"}], r"benchmark 'x': unknown task 'nope'"),
    ([{"name": "x", "task_options": {"operand_max": 9}}], r"benchmark 'x': task / task_options apply only"),
    ([{"name": "x", "verifier": "nope"}], r"benchmark 'x': unknown verifier 'nope'"),
    ([{"name": "x", "prompt_template": "Q:"}], r"benchmark 'x': prompt_template 'Q:' must contain"),
    ([{"name": "x", "source": "dataset"}], r"benchmark 'x': source 'dataset' needs dataset_path"),
    (["sums"], r"eval_benchmarks"),
]


@pytest.mark.parametrize("benchmarks, message", BAD_SPECS)
def test_bad_specs_are_one_line_errors_at_config_load(benchmarks, message):
    with pytest.raises((UserError, ValueError), match=message) as info:
        cfg_with(benchmarks)
    assert "\n" not in str(info.value)


def test_subset_field_that_no_row_has(tmp_path):
    cfg = cfg_with([{"name": "sums", "subset_field": "level"}])
    with pytest.raises(UserError, match=r"benchmark 'sums': subset_field 'level' is in no row; row keys are"):
        build(cfg)


def test_references_the_verifier_rejects(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"question": "2+2=", "answer": "4"}) + "\n"
                    + json.dumps({"question": "x=", "answer": "not a number at all ]]"}) + "\n")
    cfg = cfg_with([{"name": "mine", "source": "dataset", "dataset_path": str(data), "split": "train"}])
    with pytest.raises(UserError, match=r"benchmark 'mine': 1 of 2 references cannot be scored by the 'math'"):
        build(cfg)


def test_a_missing_dataset_names_the_benchmark(tmp_path):
    cfg = cfg_with([{"name": "mine", "source": "dataset", "dataset_path": str(tmp_path / "none.jsonl")}])
    with pytest.raises(UserError, match=r"benchmark 'mine'.*does not exist"):
        build(cfg)


def test_default_spec_is_the_heldout_split():
    (spec,) = parse_specs(cfg_with([]))
    assert spec.name == "add_heldout" and spec.source == "heldout" and not spec.allow_overlap


@pytest.mark.parametrize("args, message", [
    (["--at", "base", "--samples", "8", "--k", "1,16"], "--k 16 is larger than --samples 8"),
    (["--at", "base", "--k", "1,x"], "--k '1,x' must be comma-separated whole numbers"),
    (["--at", "latest-ish"], "checkpoint 'latest-ish' is not base, final, latest or a step number"),
    (["--at", "final"], "no complete checkpoint 'final'"),
])
def test_test_time_bad_arguments_are_one_line(tmp_path, args, message):
    import subprocess
    import sys

    from rlvr.config import dump_config

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(dump_config(cfg_with([{"name": "a"}])))
    proc = subprocess.run([sys.executable, "-m", "rlvr.cli", "eval", str(run), *args], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
