"""`rlvr audit`: lists each reference that does not parse completely; exit 1 if any, 0 if none, 2 if unreadable."""

import json

from conftest import run_rlvr


def test_audit_lists_bad_references(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"answer": a}) for a in ["42", r"\frac{1}{2}", r"\frac{1}{", "x^2", ""])
                    + "\nnot json\n")
    proc = run_rlvr("audit", "--input", str(data))
    assert proc.returncode == 1
    assert "line 3" in proc.stdout and "line 5" in proc.stdout and "line 6" in proc.stdout
    assert "3/6 rows usable" in proc.stdout


def test_audit_clean_file_exits_0(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"ref": a}) for a in ["1", "2.5", r"\sqrt{2}"]) + "\n")
    proc = run_rlvr("audit", "--input", str(data), "--reference-key", "ref")
    assert proc.returncode == 0 and "3/3" in proc.stdout


def test_audit_of_a_config(tmp_path):
    proc = run_rlvr("audit", "--config", "configs/smoke.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_audit_reports_partial_parses_and_numbers(tmp_path):
    """B23: a gold that parses only partially is listed; numeric golds are read as their text."""
    data = tmp_path / "data.jsonl"
    rows = [{"answer": 72}, {"answer": r"$1-\frac{1}{\mathrm{e}}$ and more"}, {"answer": r"\boxed{1-\frac{1}{e}"},
            {"answer": [1, 2]}, {"answer": r"\frac{1}{2}"}]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    proc = run_rlvr("audit", "--input", str(data))
    assert proc.returncode == 1
    listed = [line.split(":")[0] for line in proc.stdout.splitlines() if line.startswith("line ")]
    assert listed == ["line 2", "line 3", "line 4"]
    assert "2/5 rows usable" in proc.stdout


def test_audit_unreadable_input_exits_2(tmp_path):
    for path in ("/no/such/file.jsonl", str(tmp_path)):
        proc = run_rlvr("audit", "--input", path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_audit_of_an_empty_file_fails(tmp_path):
    data = tmp_path / "empty.jsonl"
    data.write_text("\n")
    proc = run_rlvr("audit", "--input", str(data))
    assert proc.returncode == 1 and "empty" in proc.stdout


def _dataset_config(tmp_path, rows, model, *extra):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("\n".join(["task: dataset", f"dataset_path: {data}", f"model_name_or_path: {model}",
                              "heldout_size: 2", "eval_problems: 2", *extra]) + "\n")
    return cfg


def test_audit_of_a_config_lists_every_regex_miss_and_agrees_with_train(tmp_path, tiny_hf_model):
    # every row train would refuse is listed (not only the first), numbered from 1 as in train's errors
    rows = [{"question": f"q{i}", "answer": f"#### {i}" if i not in (2, 5, 7) else "no marker"} for i in range(1, 9)]
    cfg = _dataset_config(tmp_path, rows, tiny_hf_model, "answer_regex: '####\\s*(.+)$'")
    proc = run_rlvr("audit", "--config", str(cfg))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    listed = [line.split(":")[0] for line in proc.stdout.splitlines() if line.startswith("row ")]
    assert listed == ["row 2", "row 5", "row 7"]
    train = run_rlvr("train", str(cfg), "--run_dir", str(tmp_path / "run"))
    assert train.returncode == 2 and "row 2:" in train.stderr and "Traceback" not in train.stderr


def test_a_model_path_that_is_not_a_model_folder_is_one_line(tmp_path):
    cfg = _dataset_config(tmp_path, [{"question": f"q{i}", "answer": str(i)} for i in range(8)], tmp_path / "nope")
    proc = run_rlvr("train", str(cfg), "--run_dir", str(tmp_path / "run"))
    assert proc.returncode == 2 and "is not a Hugging Face model folder" in proc.stderr
    assert "Traceback" not in proc.stderr
