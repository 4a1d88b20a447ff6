"""Resumable, incremental grading: ``autograder grade`` killed with SIGKILL mid-run and
rerun gives an uninterrupted run's reports, with no row lost or duplicated; a rerun
grades only what is missing or changed (:mod:`autograder.journal`)."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import cli, flatten, journal, spec
from autograder.isolation import Limits
from autograder.results import SubmissionResult
from autograder.submissions import discover

GOOD = flatten.reference_source()
WRONG_RELU = GOOD + "\ndef relu(z):\n    return z * 0.0\n"
POINTS = "title = 'Resume test'\n[points]\nsigmoid = 2\nrelu = 1\n"
OPTIONS = ["--jobs", "2", "--timeout", "2"]
GRADABLE = 7  # of the 8 files below; essay.txt is a load error without grading


def make_class(folder: Path) -> None:
    folder.mkdir()
    for i in range(6):
        (folder / f"st{i}.py").write_text(WRONG_RELU if i % 2 else GOOD, encoding="utf-8")
    (folder / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (folder / "essay.txt").write_text("my answers", encoding="utf-8")


def grade(root: Path, out: Path, *extra: str) -> None:
    """Grade ``root``'s class (``asg``, ``subs``) into ``out``, in this process."""
    assert cli.main(["grade", str(root / "asg"), str(root / "subs"), "--out", str(out),
                     *OPTIONS, *extra]) == 0


def graded_count(err: str) -> int:
    """How many submissions a run graded, from its stderr."""
    return int(re.search(r"grading (\d+) of \d+ submission", err).group(1))


def journal_lines(out: Path) -> list[dict]:
    text = (out / "ta" / "results.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def comparable(lines: list[dict]) -> list[dict]:
    """Journal lines without the time each grading took, and with file names for paths."""
    return [{**{k: v for k, v in line.items() if k != "seconds"},
             "path": Path(line["path"]).name} for line in lines]


def assert_same_reports(out: Path, ref: Path) -> None:
    """The gradebook byte for byte, and the journal line for line (timings aside)."""
    assert (out / "gradebook.csv").read_bytes() == (ref / "gradebook.csv").read_bytes()
    assert comparable(journal_lines(out)) == comparable(journal_lines(ref))
    for name in os.listdir(ref / "feedback"):
        assert (out / "feedback" / name).read_bytes() == (ref / "feedback" / name).read_bytes()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 8 and its uninterrupted run's reports (``root/ref``)."""
    root = tmp_path_factory.mktemp("resume")
    (root / "asg").mkdir()
    (root / "asg" / "assignment.toml").write_text(POINTS, encoding="utf-8")
    make_class(root / "subs")
    assert cli.main(["grade", str(root / "asg"), str(root / "subs"), "--out", str(root / "ref"),
                     *OPTIONS]) == 0
    return root


@pytest.fixture
def rerun(graded, tmp_path, capsys):
    """A copy of the class and its reports, and a function that reruns the grader on it
    and returns how many submissions it graded."""
    shutil.copytree(graded / "subs", tmp_path / "subs")
    shutil.copytree(graded / "ref", tmp_path / "out")
    shutil.copytree(graded / "asg", tmp_path / "asg")
    capsys.readouterr()

    def run(*extra: str) -> int:
        grade(tmp_path, tmp_path / "out", *extra)
        return graded_count(capsys.readouterr().err)
    return run


def test_sigkill_mid_run_then_a_rerun_finishes_with_no_row_lost_or_doubled(graded, tmp_path,
                                                                           capsys):
    out, kill_after = tmp_path / "out", 3
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(graded / "asg"),
                             str(graded / "subs"), "--out", str(out), *OPTIONS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(journal.read(out / "ta" / "results.jsonl")[0]) < kill_after:
            assert proc.poll() is None and time.monotonic() < deadline, "never got that far"
            time.sleep(0.01)
        assert proc.poll() is None, "it finished before the kill"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    done = len(journal.read(out / "ta" / "results.jsonl")[0])
    assert kill_after <= done < GRADABLE and not (out / "gradebook.csv").exists()
    capsys.readouterr()
    grade(graded, out)
    assert graded_count(capsys.readouterr().err) == GRADABLE - done
    lines = journal_lines(out)
    assert sorted(line["student"] for line in lines) == sorted(
        ["broken", "essay", *(f"st{i}" for i in range(6))])  # each once
    assert_same_reports(out, graded / "ref")


def test_a_torn_last_line_is_ignored_and_its_submission_graded_again(graded, rerun, tmp_path):
    path = tmp_path / "out" / "ta" / "results.jsonl"
    text = path.read_text(encoding="utf-8")
    last = text.splitlines()[-1]
    path.write_text(text[:-len(last) // 2], encoding="utf-8")  # killed mid-write
    assert rerun() == 1
    assert_same_reports(tmp_path / "out", graded / "ref")


def test_an_unreadable_line_is_skipped_with_a_warning_and_graded_again(graded, rerun, tmp_path,
                                                                       capsys):
    path = tmp_path / "out" / "ta" / "results.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    student = json.loads(lines[3])["student"]
    lines[3] = '{"student": "' + student + '", "sha2\n'
    path.write_text("".join(lines), encoding="utf-8")
    grade(tmp_path, tmp_path / "out")
    err = capsys.readouterr().err
    assert graded_count(err) == 1 and "skipped 1 unreadable line(s)" in err
    assert_same_reports(tmp_path / "out", graded / "ref")


def test_a_rerun_grades_only_late_and_changed_submissions(graded, rerun, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    assert rerun() == 0
    assert_same_reports(out, graded / "ref")
    (subs / "late.py").write_text(GOOD, encoding="utf-8")
    (subs / "st1.py").write_text(GOOD, encoding="utf-8")  # resubmitted, now right
    assert rerun() == 2
    rows = {line["student"]: line for line in journal_lines(out)}
    assert rows["late"]["points"] == 3 and rows["st1"]["points"] == 3


def test_removed_students_leave_the_reports_and_keep_their_journal_lines(rerun, tmp_path):
    for name in ("st0.py", "st2.py", "st3.py", "st4.py", "st5.py", "broken.ipynb"):
        (tmp_path / "subs" / name).unlink()
    assert rerun() == 0
    gradebook = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert "st0" not in gradebook and "st1" in gradebook
    students = [line["student"] for line in journal_lines(tmp_path / "out")]
    assert students[:2] == ["essay", "st1"]  # the class first, in report order
    assert sorted(students[2:]) == ["broken", "st0", "st2", "st3", "st4", "st5"]
    assert rerun("--force") == 1  # --force: st1 again, the only one left to grade
    assert len(journal_lines(tmp_path / "out")) == 8


def test_a_changed_battery_version_file_name_or_a_crash_grades_again(graded, tmp_path):
    shutil.copytree(graded / "ref" / "ta", tmp_path / "ta")
    shutil.copytree(graded / "subs", tmp_path / "subs")
    path = tmp_path / "ta" / "results.jsonl"
    battery = journal.read(path)[0][0]["battery"]

    def plan(version: str, force: bool = False) -> list[str]:
        gradable = [s for s in discover(tmp_path / "subs", "asg") if not s.problem]
        with journal.Journal(path, version) as ledger:
            return [s.student for s in ledger.plan(gradable, force=force)]
    assert plan(battery) == [] and len(plan(battery, force=True)) == GRADABLE
    assert len(plan("another")) == GRADABLE
    (tmp_path / "subs" / "st2.py").rename(tmp_path / "subs" / "st2.ipynb")  # same bytes
    assert plan(battery) == ["st2"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    crashed = next(i for i, line in enumerate(lines) if '"st4"' in line)
    lines[crashed] = lines[crashed].replace('"status": "graded"', '"status": "crashed"')
    path.write_text("".join(lines), encoding="utf-8")
    assert plan(battery) == ["st2", "st4"]  # a grader failure is tried again


def test_the_battery_version_covers_the_spec_the_limits_and_the_seed(tmp_path, monkeypatch):
    (tmp_path / "assignment.toml").write_text(POINTS, encoding="utf-8")
    asg = spec.load(str(tmp_path))
    base = journal.battery_version(asg, Limits())
    assert journal.battery_version(asg, Limits()) == base
    assert journal.battery_version(dataclasses.replace(asg, folder=tmp_path / "x"),
                                   Limits()) == base  # where it lives does not count
    changed = [dataclasses.replace(asg, points={"sigmoid": 3, "relu": 1}),
               dataclasses.replace(asg, robustness=0.2)]
    assert base not in {journal.battery_version(a, Limits()) for a in changed}
    assert journal.battery_version(asg, Limits(call_timeout=3)) != base
    monkeypatch.setenv("AUTOGRADER_SEED", "7")
    assert journal.battery_version(asg, Limits()) != base


def test_a_result_survives_the_round_trip_through_its_dict(graded):
    for line in journal_lines(graded / "ref"):
        result = SubmissionResult.from_dict(line)
        assert journal.record(result, line["sha256"], line["battery"]) == line


def test_two_runs_never_write_one_folder(graded, tmp_path, capsys):
    out = tmp_path / "out"
    with journal.Journal(out / "ta" / "results.jsonl", "v1"):
        with pytest.raises(journal.Busy):
            journal.Journal(out / "ta" / "results.jsonl", "v1")
        assert cli.main(["grade", str(graded / "asg"), str(graded / "subs"), "--out", str(out),
                         *OPTIONS]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "another autograder grade is writing" in err
    journal.Journal(out / "ta" / "results.jsonl", "v1").close()  # free again
