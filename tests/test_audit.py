"""`rlvr audit`: lists each reference that does not parse completely; exit 1 if any, 0 if none, 2 if unreadable."""

import json
import subprocess
import sys

RLVR = [sys.executable, "-m", "rlvr.cli"]


def rlvr(*args):
    return subprocess.run([*RLVR, *args], capture_output=True, text=True, timeout=120)


def test_audit_lists_bad_references(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"answer": a}) for a in ["42", r"\frac{1}{2}", r"\frac{1}{", "x^2", ""])
                    + "\nnot json\n")
    proc = rlvr("audit", "--input", str(data))
    assert proc.returncode == 1
    assert "line 3" in proc.stdout and "line 5" in proc.stdout and "line 6" in proc.stdout
    assert "3/6 references usable" in proc.stdout


def test_audit_clean_file_exits_0(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"ref": a}) for a in ["1", "2.5", r"\sqrt{2}"]) + "\n")
    proc = rlvr("audit", "--input", str(data), "--reference-key", "ref")
    assert proc.returncode == 0 and "3/3" in proc.stdout


def test_audit_of_a_config(tmp_path):
    proc = rlvr("audit", "--config", "configs/smoke.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_audit_reports_partial_parses_and_numbers(tmp_path):
    """B23: a gold that parses only partially is listed; numeric golds are read as their text."""
    data = tmp_path / "data.jsonl"
    rows = [{"answer": 72}, {"answer": r"$1-\frac{1}{\mathrm{e}}$ and more"}, {"answer": r"\boxed{1-\frac{1}{e}"},
            {"answer": [1, 2]}, {"answer": r"\frac{1}{2}"}]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    proc = rlvr("audit", "--input", str(data))
    assert proc.returncode == 1
    listed = [line.split(":")[0] for line in proc.stdout.splitlines() if line.startswith("line ")]
    assert listed == ["line 2", "line 3", "line 4"]
    assert "2/5 references usable" in proc.stdout


def test_audit_unreadable_input_exits_2(tmp_path):
    for path in ("/no/such/file.jsonl", str(tmp_path)):
        proc = rlvr("audit", "--input", path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
