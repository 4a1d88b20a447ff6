"""The ``autograder`` command: bad input gets one line and exit status 2; grading
finds every submission of a flat folder or of nbgrader's layout."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import cli, flatten

GOOD = flatten.reference_source()
WRONG_RELU = GOOD + "\ndef relu(z):\n    return z * 0.0\n"
POINTS = "title = 'CLI test'\n[points]\nsigmoid = 2\nrelu = 1\n"
FAST = ["--timeout", "2"]


def notebook(source: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# My work"},
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
         "execution_count": None}]})


def assignment(folder: Path, text: str = POINTS) -> Path:
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    p = {"root": root, "asg": assignment(root / "ps_test")}
    p["notoml"] = assignment(root / "notoml", "title = 'x'\n[points\nsigmoid = 2\n")
    p["unknown_fn"] = assignment(root / "unknown_fn", "[points]\nsigmoid = 2\nsoftmaxx = 1\n")
    p["negative"] = assignment(root / "negative", "[points]\nsigmoid = -1\n")
    p["no_points"] = assignment(root / "no_points", "title = 'no points'\n")
    p["string_points"] = assignment(root / "string_points", "[points]\nsigmoid = '2'\n")
    p["nan_points"] = assignment(root / "nan_points", "[points]\nsigmoid = nan\n")
    p["inf_points"] = assignment(root / "inf_points", "[points]\nsigmoid = inf\n")
    p["bad_grading"] = assignment(root / "bad_grading",
                                  "[points]\nsigmoid = 1\n[grading]\ncell_timeout = 0\n")
    files = root / "files"
    files.mkdir()
    for name, text in {"good.py": GOOD, "wrong.py": WRONG_RELU, "notes.txt": "hello",
                       "bad.ipynb": "{this is not json", "old.ipynb": '{"worksheets": []}'}.items():
        (files / name).write_text(text)
        p[name] = files / name
    p["empty"] = root / "empty"
    p["empty"].mkdir()
    p["afile"] = root / "afile"
    p["afile"].write_text("not a folder")
    return p


# ---------------------------------------------------------------- bad input

BAD = {
    "unknown assignment": (["grade", "no_such_assignment", "<good.py>", "--out", "<root>/o"],
                           "unknown assignment 'no_such_assignment'"),
    "missing submissions": (["grade", "<asg>", "<root>/nowhere", "--out", "<root>/o"],
                            "no such file or folder"),
    "empty submissions": (["grade", "<asg>", "<empty>", "--out", "<root>/o"], "no submissions"),
    "--jobs 0": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--jobs", "0"],
                 "argument --jobs: expected a positive number, got '0'"),
    "--jobs 1.5": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--jobs", "1.5"],
                   "argument --jobs"),
    "--timeout -1": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--timeout", "-1"],
                     "argument --timeout: expected a positive number, got '-1'"),
    "--timeout abc": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--timeout", "abc"],
                      "argument --timeout: expected a positive number, got 'abc'"),
    "--load-timeout 0": (["grade", "<asg>", "<good.py>", "--out", "<root>/o",
                          "--load-timeout", "0"], "argument --load-timeout"),
    "missing --out": (["grade", "<asg>", "<good.py>"],
                      "the following arguments are required: --out"),
    "--out is a file": (["grade", "<asg>", "<good.py>", "--out", "<afile>"], "--out"),
    "--out below a file": (["grade", "<asg>", "<good.py>", "--out", "<afile>/sub"], "--out"),
    "--timeout nan": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--timeout", "nan"],
                      "argument --timeout: expected a positive number, got 'nan'"),
    "--timeout inf": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--timeout", "inf"],
                      "argument --timeout: expected a positive number, got 'inf'"),
    "--load-timeout nan": (["grade", "<asg>", "<good.py>", "--out", "<root>/o",
                            "--load-timeout", "nan"], "argument --load-timeout"),
    "--cell-timeout 0": (["grade", "<asg>", "<good.py>", "--out", "<root>/o",
                          "--cell-timeout", "0"],
                         "argument --cell-timeout: expected a positive number, got '0'"),
    "unknown option": (["grade", "<asg>", "<good.py>", "--out", "<root>/o", "--fast"],
                       "unrecognized arguments: --fast"),
    "check a missing file": (["check", "<asg>", "<root>/missing.py"], "no such file"),
    "check a folder": (["check", "<asg>", "<root>"], "no such file"),
    "check a .txt file": (["check", "<asg>", "<notes.txt>"],
                          "notes.txt is not a .py or .ipynb file"),
    "check a malformed .ipynb": (["check", "<asg>", "<bad.ipynb>"],
                                 "is not a valid Jupyter notebook"),
    "check an nbformat-3 .ipynb": (["check", "<asg>", "<old.ipynb>"],
                                   "is not a valid Jupyter notebook"),
    "check --timeout 0": (["check", "<asg>", "<good.py>", "--timeout", "0"], "argument --timeout"),
    "check --timeout nan": (["check", "<asg>", "<good.py>", "--timeout", "nan"],
                            "argument --timeout"),
    "check --cell-timeout nan": (["check", "<asg>", "<good.py>", "--cell-timeout", "nan"],
                                 "argument --cell-timeout"),
    "check --load-timeout -1": (["check", "<asg>", "<good.py>", "--load-timeout", "-1"],
                                "argument --load-timeout"),
    "toml that is not TOML": (["check", "<notoml>", "<good.py>"], "not valid TOML"),
    "bad [grading] table": (["check", "<bad_grading>", "<good.py>"],
                            "[grading] cell_timeout must be a positive number of seconds, got 0"),
    "unknown function name": (["check", "<unknown_fn>", "<good.py>"],
                              "'softmaxx' is not a gradable function"),
    "negative points": (["check", "<negative>", "<good.py>"],
                        "points for 'sigmoid' must be a number >= 0, got -1"),
    "no [points] table": (["check", "<no_points>", "<good.py>"], "needs a [points] table"),
    "string points": (["check", "<string_points>", "<good.py>"], "must be a number >= 0"),
    "nan points": (["check", "<nan_points>", "<good.py>"], "must be a number >= 0, got nan"),
    "inf points": (["check", "<inf_points>", "<good.py>"], "must be a number >= 0, got inf"),
    "audit of an unknown assignment": (["audit", "no_such_assignment"], "unknown assignment"),
    "no subcommand": ([], "the following arguments are required: command"),
    "unknown subcommand": (["frobnicate"], "invalid choice: 'frobnicate'"),
}


def expand(argv, paths):
    """Replace ``<name>`` at the start of each argument by the path of that name."""
    return [re.sub(r"^<([\w.]+)>", lambda m: str(paths[m.group(1)]), a) for a in argv]


def assert_usage_error(code, out, err, match):
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err  # exactly one line
    assert err.startswith("autograder: error: "), err
    assert match in err, err


@pytest.mark.parametrize("argv, match", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_and_exit_status_2(argv, match, paths, capsys):
    code = cli.main(expand(argv, paths))
    out, err = capsys.readouterr()
    assert_usage_error(code, out, err, match)


# ---------------------------------------------------------------- grade

def read_gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by = {r["student"]: r for r in rows}
    assert len(by) == len(rows), "a student appears twice"
    return by


def test_grade_a_flat_folder_gives_every_file_a_row(paths, tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, src in {"good.py": "good.py", "wrong.py": "wrong.py", "broken.ipynb": "bad.ipynb",
                      "essay.txt": "notes.txt"}.items():
        (subs / name).write_bytes(paths[src].read_bytes())
    (subs / "nb.ipynb").write_text(notebook(GOOD))
    (subs / "crash.py").write_text("raise ImportError('no module named torch')\n")
    out = tmp_path / "out"
    code = cli.main(["grade", str(paths["asg"]), str(subs), "--out", str(out), "--jobs", "1",
                     *FAST])
    stdout, stderr = capsys.readouterr()
    assert code == 0 and "Traceback" not in stdout + stderr
    rows = read_gradebook(out)
    assert set(rows) == {"good", "wrong", "broken", "essay", "nb", "crash"}
    assert list(next(iter(rows.values()))) == ["student", "sigmoid", "relu", "total", "max",
                                                "status", "message"]
    status = {s: (r["status"], float(r["total"])) for s, r in rows.items()}
    assert status == {"good": ("graded", 3), "nb": ("graded", 3), "wrong": ("graded", 2),
                      "broken": ("load-error", 0), "essay": ("load-error", 0),
                      "crash": ("load-error", 0)}
    assert "not a .py or .ipynb file" in rows["essay"]["message"]
    assert "not a valid Jupyter notebook" in rows["broken"]["message"]
    assert "no module named torch" in rows["crash"]["message"]
    for student in rows:  # and every row gets its reports
        assert (out / "results" / f"{student}.json").is_file()
        assert (out / "feedback" / f"{student}.md").is_file()
    assert "good" in stdout and "load-error" in stdout  # the terminal table


def test_grade_nbgraders_layout_gives_every_student_a_row(paths, tmp_path, capsys):
    course = tmp_path / "course"
    sub = course / "submitted"
    (sub / "alice" / "ps_test").mkdir(parents=True)
    (sub / "alice" / "ps_test" / "ps_test.ipynb").write_text(notebook(GOOD))
    (sub / "bob" / "ps_test").mkdir(parents=True)                 # a notebook-less folder
    (sub / "bob" / "ps_test" / "readme.txt").write_text("sorry")
    (sub / "carol" / "other_assignment").mkdir(parents=True)      # not this assignment
    (sub / "dave" / "ps_test").mkdir(parents=True)
    (sub / "dave" / "ps_test" / "solution.py").write_text(WRONG_RELU)
    (sub / "erin" / "ps_test").mkdir(parents=True)                # several files: one is graded
    (sub / "erin" / "ps_test" / "scratch.py").write_text("raise SystemExit")
    (sub / "erin" / "ps_test" / "ps_test.ipynb").write_text(notebook(GOOD))
    out = tmp_path / "out"
    code = cli.main(["grade", str(paths["asg"]), str(course), "--out", str(out), "--jobs", "1",
                     *FAST])
    capsys.readouterr()
    assert code == 0
    rows = read_gradebook(out)
    got = {s: (r["status"], float(r["total"])) for s, r in rows.items()}
    assert got == {"alice": ("graded", 3), "bob": ("load-error", 0),
                   "carol": ("load-error", 0), "dave": ("graded", 2), "erin": ("graded", 3)}
    assert "no .py or .ipynb file" in rows["bob"]["message"]
    assert "no .py or .ipynb file" in rows["carol"]["message"]


# ---------------------------------------------------------------- check

def test_check_passes_a_correct_file(paths, capsys):
    assert cli.main(["check", str(paths["asg"]), str(paths["good.py"]), *FAST]) == 0
    out, err = capsys.readouterr()
    assert "PASS  sigmoid  (2/2 public tests)" in out
    assert "PASS  relu  (1/1 public tests)" in out
    assert "FAIL" not in out and "Traceback" not in out + err


def test_check_fails_a_wrong_file_and_says_why(paths, capsys):
    assert cli.main(["check", str(paths["asg"]), str(paths["wrong.py"]), *FAST]) == 1
    out, _ = capsys.readouterr()
    assert "PASS  sigmoid" in out
    assert "FAIL  relu  (0/1 public tests)" in out
    assert "z from -5 to 5: the result differs from the expected value" in out
    assert "1 of 2 functions pass their public tests" in out
    assert "2-d array" not in out  # the hidden relu case is not run, not named


def test_check_a_notebook_that_fails_to_load(paths, tmp_path, capsys):
    nb = tmp_path / "mine.ipynb"
    nb.write_text(json.dumps({"cells": "not a list"}))
    assert cli.main(["check", str(paths["asg"]), str(nb)]) == 2
    nb.write_text(notebook("raise RuntimeError('oops')"))
    assert cli.main(["check", str(paths["asg"]), str(nb), *FAST]) == 1
    out, err = capsys.readouterr()
    assert "FAIL  sigmoid" in out and "Note: errors while running the notebook" in out
    assert "oops" in out and "Traceback" not in out + err


# ---------------------------------------------------------------- the installed command

def _command() -> list[str]:
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "autograder.cli"]


def test_the_installed_command(paths):
    ok = subprocess.run([*_command(), "check", str(paths["asg"]), str(paths["good.py"]), *FAST],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "PASS  sigmoid" in ok.stdout and "PASS  relu" in ok.stdout
    bad = subprocess.run([*_command(), "grade", "no_such_assignment", str(paths["root"]),
                          "--out", str(paths["root"] / "o")],
                         capture_output=True, text=True, timeout=60)
    assert_usage_error(bad.returncode, bad.stdout, bad.stderr, "unknown assignment")


def test_the_progress_bar_goes_to_the_current_stderr(capsys):
    """Not to the stderr of the time cli.py was imported: capsys and redirects see it."""
    from autograder.results import SubmissionResult
    cli.Progress(1)(1, 1, SubmissionResult("someone", "someone.py", "graded"))
    assert "1/1" in capsys.readouterr().err
