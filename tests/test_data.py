"""Dataset building: procedural tasks, local JSONL with column mapping and answer_regex, fail-fast checks."""

import json

import datasets
import pytest

from rlvr.config import ExperimentConfig
from rlvr.data import build_datasets
from rlvr.errors import UserError
from rlvr.pretraining.tokenizer import build_char_tokenizer


class IntVerifier:
    """A tiny stand-in for a verifier: a reference is usable when it is an integer."""

    name = "int"

    def check_reference(self, reference: str) -> str | None:
        return None if reference.strip().lstrip("-").isdigit() else "not an integer"


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_datasets")  # never the user's cache


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def gsm8k_rows(n):
    return [{"question": f"Tom has {i} apples and buys 2. How many?", "answer": f"{i} + 2 = {i + 2}\n#### {i + 2}"}
            for i in range(n)]


def data_cfg(path, **kw):
    return ExperimentConfig(**{"task": "dataset", "dataset_path": path, "heldout_size": 4, "eval_problems": 4,
                               "model_name_or_path": "unused-here", **kw})


# --- procedural task ------------------------------------------------------------------------------------------

def test_add_task_datasets():
    cfg = ExperimentConfig(task_options={"train_size": 50}, heldout_size=8, eval_problems=8,
                           prompt_template="Q: {question}")
    train, held = build_datasets(cfg, IntVerifier())
    assert (len(train), len(held)) == (50, 8)
    assert set(train.column_names) == {"prompt", "question", "reference"}
    row = held[0]
    assert row["prompt"] == "Q: " + row["question"]
    a, b = row["question"].rstrip("=").split("+")
    assert row["reference"] == str(int(a) + int(b))


def test_chat_prompts_are_one_user_message():
    cfg = ExperimentConfig(task_options={"train_size": 4}, heldout_size=2, eval_problems=2, use_chat_template=True)
    train, _ = build_datasets(cfg, IntVerifier())
    assert train[0]["prompt"] == [{"role": "user", "content": train[0]["question"]}]


# --- local JSONL: column mapping, answer_regex, held-out split --------------------------------------------------

def test_gsm8k_style_answers_with_regex(tmp_path):
    path = write_jsonl(tmp_path / "gsm.jsonl", gsm8k_rows(10))
    train, held = build_datasets(data_cfg(path, answer_regex=r"####\s*(.+)$"), IntVerifier())
    assert (len(train), len(held)) == (6, 4)  # the last heldout_size rows are held out
    assert train[0]["reference"] == "2" and held[-1]["reference"] == "11"
    assert held[0]["question"] == "Tom has 6 apples and buys 2. How many?"
    assert set(train["question"]).isdisjoint(held["question"])


def test_column_mapping_and_non_string_answers(tmp_path):
    rows = [{"problem": f"{i}*3", "solution": i * 3, "extra": "x"} for i in range(8)]
    path = write_jsonl(tmp_path / "mapped.jsonl", rows)
    train, held = build_datasets(data_cfg(path, question_column="problem", answer_column="solution",
                                          prompt_template="Compute {question}."), IntVerifier())
    assert train[1]["prompt"] == "Compute 1*3." and train[1]["reference"] == "3"
    assert set(held.column_names) == {"prompt", "question", "reference"}


def test_folder_with_train_and_test_files_gives_two_splits(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", gsm8k_rows(5))
    write_jsonl(tmp_path / "test.jsonl", gsm8k_rows(7)[1:])
    cfg = data_cfg(str(tmp_path), answer_regex=r"####\s*(.+)$", dataset_eval_split="test")
    train, held = build_datasets(cfg, IntVerifier())  # datasets' ordinary load_dataset(folder) path
    assert (len(train), len(held)) == (5, 4)  # the whole train split; the first heldout_size rows of test
    assert held["reference"] == ["3", "4", "5", "6"]


def test_dataset_eval_split_of_a_hub_dataset(monkeypatch):
    import rlvr.data as data_mod

    splits = {"train": [{"question": f"q{i}", "reference": str(i)} for i in range(5)],
              "test": [{"question": f"t{i}", "reference": str(i)} for i in range(6)]}
    monkeypatch.setattr(data_mod, "load_rows", lambda cfg, split: splits[split])
    train, held = build_datasets(data_cfg("some/hub-name", dataset_eval_split="test"), IntVerifier())
    assert (len(train), len(held)) == (5, 4) and held[0]["question"] == "t0"


# --- fail fast with the offending rows and the fix --------------------------------------------------------------

BAD = [
    # (rows, config overrides, expected message parts)
    ([{"q": "1+1", "answer": "2"}] * 8, {}, ["no column(s) ['question']", "question_column"]),
    ([{"question": "1+1", "a": "2"}] * 8, {}, ["no column(s) ['answer']", "answer_column"]),
    ([{"question": f"q{i}", "answer": "two" if i in (1, 6) else str(i)} for i in range(8)], {},
     ["1 of 4 training references", "row 2: 'two' (not an integer)", "Fix or drop"]),  # 1-based; row 7 held out
    ([{"question": f"q{i}", "answer": "seven" if i == 7 else str(i)} for i in range(8)], {},
     ["1 of 4 held-out references", "row 4: 'seven'"]),
    ([{"question": f"q{i}", "answer": "no marker" if i == 2 else f"#### {i}"} for i in range(8)],
     {"answer_regex": r"####\s*(.+)$"}, ["1 of 8 rows", "row 3: 'no marker'", "found no reference"]),
    ([{"question": "" if i == 0 else f"q{i}", "answer": str(i)} for i in range(8)], {},
     ["row 1:", "empty 'question'"]),
    ([{"question": f"q{i}", "answer": str(i)} for i in range(4)], {}, ["not more than heldout_size=4"]),
    ([{"question": f"q{i}", "answer": str(i)} for i in range(8)], {"eval_problems": 4, "heldout_size": 4,
                                                                   "dataset_eval_split": "test"},
     ["cannot select a split of the single file", "train.jsonl and test.jsonl"]),
]


@pytest.mark.parametrize("rows, overrides, parts", BAD)
def test_bad_data_is_a_user_error_naming_rows_and_fix(tmp_path, rows, overrides, parts):
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(UserError) as info:
        build_datasets(data_cfg(path, **overrides), IntVerifier())
    for part in parts:
        assert part in str(info.value)


def test_only_the_first_bad_rows_are_quoted(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"question": "q", "answer": "x"}] * 30)
    with pytest.raises(UserError, match=r"26 of 26 training references .*first 5 shown") as info:
        build_datasets(data_cfg(path), IntVerifier())
    assert "row 5:" in str(info.value) and "row 6:" not in str(info.value)  # rows are numbered from 1


@pytest.mark.parametrize("content, part", [("", "is empty"), ('{"question": "a", "answer": "1"}\n{oops\n',
                                                             "could not read")])
def test_unreadable_files(tmp_path, content, part):
    path = tmp_path / "broken.jsonl"
    path.write_text(content)
    with pytest.raises(UserError, match=part):
        build_datasets(data_cfg(str(path)), IntVerifier())


@pytest.mark.parametrize("path, part", [("missing.jsonl", "does not exist"), (None, "needs dataset_path")])
def test_missing_dataset_path(tmp_path, path, part):
    with pytest.raises(UserError, match=part):
        build_datasets(data_cfg(str(tmp_path / path) if path else None), IntVerifier())


def test_max_prompt_length_is_checked_with_a_tokenizer(tmp_path):
    rows = [{"question": "short", "answer": "1"}] * 7 + [{"question": "a much longer question", "answer": "2"}]
    path = write_jsonl(tmp_path / "long.jsonl", rows)
    cfg = data_cfg(path, max_prompt_length=10)
    build_datasets(cfg, IntVerifier())  # no tokenizer: no length check
    with pytest.raises(UserError, match=r"row 4: 'a much longer question' \(23 tokens\)"):
        build_datasets(cfg, IntVerifier(), tokenizer=build_char_tokenizer())


class CountingTokenizer:
    """Wraps a tokenizer and records the longest text it was asked to tokenize."""

    def __init__(self, inner):
        self.inner, self.longest = inner, 0

    def __call__(self, texts, **kw):
        self.longest = max([self.longest, *map(len, texts)])
        return self.inner(texts, **kw)


def test_a_huge_prompt_is_refused_from_its_length_without_tokenizing_it(tmp_path):
    # A 10 MB question once used up the machine's memory; it must be refused before the tokenizer sees it, against
    # the default limit derived from the model's positions (128 - max_completion_length 8 = 120 tokens).
    rows = [{"question": "1+1", "answer": "2"}] * 7 + [{"question": "9" * 10_000_000, "answer": "3"}]
    path = write_jsonl(tmp_path / "huge.jsonl", rows)
    tok = CountingTokenizer(build_char_tokenizer())
    with pytest.raises(UserError, match=r"limit of 120 tokens.*row 4: .*10,000,000 characters"):
        build_datasets(data_cfg(path), IntVerifier(), tokenizer=tok, max_positions=128)
    assert tok.longest < 1000


@pytest.mark.parametrize("max_prompt_length, positions, limit", [(None, 128, 120), (50, 128, 50), (500, 128, 120),
                                                                   (None, None, None), (40, None, 40)])
def test_prompt_limit_is_the_tighter_of_the_setting_and_the_positions(max_prompt_length, positions, limit):
    from rlvr.data import prompt_limit

    cfg = ExperimentConfig(max_prompt_length=max_prompt_length, max_completion_length=8)
    assert prompt_limit(cfg, positions) == limit


def test_non_utf8_data_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"question": "a", "answer": "1"}\n{"question": "caf\xe9", "answer": "2"}\n')
    with pytest.raises(UserError, match=r"latin1.jsonl: line 2 is not UTF-8.*re-encode"):
        build_datasets(data_cfg(str(path)), IntVerifier())


# --- the real math verifier on GSM8K-style references ------------------------------------------------------------

def test_math_verifier_rejects_unparseable_references(tmp_path):
    from verifiers import get_verifier

    rows = gsm8k_rows(6) + [{"question": "q", "answer": "#### 1,000"}, {"question": "q", "answer": "#### \\frac{1}{"}]
    path = write_jsonl(tmp_path / "gsm.jsonl", rows)
    verifier = get_verifier("math")
    try:
        with pytest.raises(UserError, match="1 of 4 held-out references cannot be scored by the 'math' verifier"):
            build_datasets(data_cfg(path, answer_regex=r"####\s*(.+)$"), verifier)
    finally:
        verifier.close()


def test_a_dataset_task_without_a_base_model_is_refused_at_config_time():
    with pytest.raises(UserError, match="task 'dataset' needs a base model: set model_name_or_path"):
        ExperimentConfig(task="dataset", dataset_path="data.jsonl")
