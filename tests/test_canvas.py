"""``autograder export canvas``: Canvas's import format from a gradebook and a Canvas
roster with sections, missing and duplicated students and non-ASCII names; nothing
dropped silently; scaling and late penalties."""
from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from autograder import canvas, cli

#: A Canvas gradebook export as Canvas writes it: a byte-order mark, a Points Possible
#: row, a Manual Posting row, a student in two sections, the test student, a login
#: shared by two students (a data error), and names beyond ASCII.
ROSTER = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Problem Set 0 (1200),Current Points\n"
    ",,,,,Manual Posting,\n"
    "    Points Possible,,,,,10,(read only)\n"
    '"Lovelace, Ada",1001,S1001,ada,Section A,9,9\n'
    '"Müller, Jürgen",1002,S1002,jmuller,Section A,7,7\n'
    '"Nguyễn, Thị Minh",1003,S1003,tminh,Section B,10,10\n'
    '"O\'Brien, Seán",1004,S1004,sobrien,Section A and Section B,8,8\n'
    '"Zhang, 张伟",1005,S1005,zwei,Section B,6,6\n'
    '"Doe, Jane",1006,S1006,jdoe,Section A,5,5\n'
    '"Doe, John",1007,S1007,jdoe,Section B,5,5\n'
    '"Lovelace, Ada",1001,S1001,ada,Section A,9,9\n'
    '"Student, Test",1099,,,Section A,,\n')
GRADEBOOK = (
    "student,sigmoid,relu,total,max,status,message\n"
    "ada,2,1,3,3,graded,\n"
    "JMuller ,2,0,2,3,graded,\n"
    "tminh,0,0,0,3,load-error,not a valid Jupyter notebook\n"
    "sobrien,1.5,0,1.5,3,graded,\n"
    "jdoe,2,1,3,3,graded,\n"
    "ghost,2,0,2,3,graded,\n")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    return {"gradebook": write(tmp_path / "ps1" / "gradebook.csv", GRADEBOOK),
            "roster": write(tmp_path / "canvas.csv", ROSTER), "out": tmp_path / "import.csv"}


def export(files, *extra: str) -> int:
    return cli.main(["export", "canvas", str(files["gradebook"]), str(files["roster"]),
                     "--out", str(files["out"]), *extra])


def read_out(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(data.decode("utf-8").splitlines()))


def test_the_import_file_has_canvas_columns_points_and_names_kept(files, capsys):
    assert export(files, "--title", "Problem Set 1", "--assignment-id", "1234") == 1
    rows = read_out(files["out"])
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Problem Set 1 (1234)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"]
    assert rows[2:] == [["Lovelace, Ada", "1001", "S1001", "ada", "Section A", "3"],
                        ["Müller, Jürgen", "1002", "S1002", "jmuller", "Section A", "2"],
                        ["Nguyễn, Thị Minh", "1003", "S1003", "tminh", "Section B", "0"],
                        ["O'Brien, Seán", "1004", "S1004", "sobrien",
                         "Section A and Section B", "1.5"]]


def test_unmatched_students_on_both_sides_are_listed_and_exit_status_is_1(files, capsys):
    assert export(files) == 1
    err = capsys.readouterr().err
    assert "error: 1 graded student(s) not on the roster by sis_login" in err
    assert "  ghost (2/3)" in err
    assert "error: 1 graded student(s) match several roster rows" in err
    assert "jdoe: Doe, Jane (ID 1006, jdoe, Section A); Doe, John (ID 1007, jdoe, Section B)" \
        in err
    assert "note: 3 roster student(s) without a graded submission" in err  # and the Does
    assert "Zhang, 张伟 (ID 1005, zwei, Section B)" in err
    assert "Test" not in err  # Canvas's test student is no one's
    assert "wrote" in err and "4 of 6 graded student(s)" in err
    assert "ghost" not in files["out"].read_text(encoding="utf-8")


def test_a_complete_match_exits_0(files, capsys):
    write(files["gradebook"], "\n".join(GRADEBOOK.splitlines()[:5]) + "\n")
    assert export(files, "--points", "10") == 0
    assert [r[-1] for r in read_out(files["out"])[2:]] == ["10", "6.67", "0", "5"]
    assert "wrote" in capsys.readouterr().err


def test_two_ids_for_one_student_are_both_held_back(files, capsys):
    write(files["gradebook"], GRADEBOOK + "ADA,2,0,2,3,graded,\n")
    assert export(files) == 1
    err = capsys.readouterr().err
    assert "  ada: Lovelace, Ada (ID 1001" in err and "  ADA: Lovelace, Ada (ID 1001" in err
    assert "1001" not in files["out"].read_text(encoding="utf-8")


def test_matching_by_email_whole_or_its_local_part(files, capsys):
    write(files["roster"], "Student,ID,SIS User ID,SIS Login ID,Section,Email\n"
                           '"Lovelace, Ada",1001,S1001,u1,A,Ada@uni.edu\n'
                           '"Müller, Jürgen",1002,S1002,u2,A,jmuller@uni.edu\n'
                           '"Kim, Min",1003,S1003,u3,B,mkim@uni.edu\n'
                           '"Kim, Min-jun",1004,S1004,u4,B,mkim@other.edu\n')
    write(files["gradebook"], "student,total,max\nada@uni.edu,3,3\njmuller,2,3\nmkim,1,3\n")
    assert export(files, "--match", "email") == 1
    assert [r[1] for r in read_out(files["out"])[2:]] == ["1001", "1002"]
    assert "  mkim: Kim, Min (ID 1003" in capsys.readouterr().err


def test_matching_by_email_falls_back_to_the_sis_login(files):
    write(files["roster"], 'Student,ID,SIS User ID,SIS Login ID,Section\n'
                           '"Lovelace, Ada",1001,S1001,ada@uni.edu,A\n')
    write(files["gradebook"], "student,total,max\nada,3,3\n")
    assert export(files, "--match", "email") == 0
    assert read_out(files["out"])[2][1] == "1001"


@pytest.mark.parametrize("text, rate, unit, most", [
    ("10%/day, max 3 days", 0.1, timedelta(days=1), 3),
    ("10 % per day", 0.1, timedelta(days=1), None),
    ("2.5%/hour, max 48 hours", 0.025, timedelta(hours=1), 48),
    ("100%/Day,maximum 1 day", 1.0, timedelta(days=1), 1),
])
def test_late_policies_parse(text, rate, unit, most):
    assert canvas.parse_policy(text) == canvas.LatePolicy(rate, unit, most)


@pytest.mark.parametrize("text, match", [
    ("10%", "expected e.g."), ("ten percent a day", "expected e.g."),
    ("10%/week", "expected e.g."), ("0%/day", r"in \(0, 100\]"), ("150%/day", r"in \(0, 100\]"),
    ("10%/day, max 3 hours", "in days"), ("10%/day, max 3 days, then zero", "expected e.g."),
    ("", "expected e.g."),
])
def test_a_bad_late_policy_is_a_clear_error(text, match):
    with pytest.raises(canvas.CanvasError, match=match):
        canvas.parse_policy(text)


@pytest.mark.parametrize("late, penalty", [
    (timedelta(0), 0.0), (timedelta(seconds=-5), 0.0), (timedelta(seconds=1), 0.1),
    (timedelta(days=1), 0.1), (timedelta(days=1, seconds=1), 0.2), (timedelta(days=10), 0.3),
])
def test_the_penalty_counts_started_days_up_to_the_max(late, penalty):
    assert canvas.parse_policy("10%/day, max 3 days").penalty(late) == pytest.approx(penalty)


def test_late_submissions_lose_points_and_are_listed(files, capsys):
    write(files["gradebook"], "\n".join(GRADEBOOK.splitlines()[:5]) + "\n")
    late = write(files["out"].parent / "times.csv",
                 "student,submitted,due\n"
                 "ada,2026-03-02T10:00:00+01:00,2026-03-01T23:59:00+01:00\n"      # 1 day
                 "JMuller ,2026-03-03T22:00:00+00:00,2026-03-01T23:59:00+01:00\n"  # 2 days
                 "sobrien,2026-03-01T20:00:00+01:00,2026-03-01T23:59:00+01:00\n"   # on time
                 "nobody,2026-03-09T20:00:00+01:00,2026-03-01T23:59:00+01:00\n")
    assert export(files, "--points", "10", "--late", str(late),
                  "--late-policy", "10%/day, max 3 days") == 0
    assert [r[-1] for r in read_out(files["out"])[2:]] == ["9", "5.33", "0", "5"]
    err = capsys.readouterr().err
    assert "late: ada 10.0 hours late, -10%" in err and "late: JMuller" in err
    assert "sobrien" not in err and "--late lists 1 student(s) not in the gradebook" in err


@pytest.mark.parametrize("change, match", [
    ({"roster": "Name,ID\nAda,1\n"}, "roster .*: no column 'Student', 'SIS Login ID'"),
    ({"gradebook": "student,points\nada,3\n"}, "gradebook .*: no column 'total', 'max'"),
    ({"gradebook": "student,total,max\nada,three,3\n"}, "line 2: total 'three'"),
    ({"gradebook": "student,total,max\nada,3,0\n"}, "max must be a positive number"),
    ({"gradebook": "student,total,max\n"}, "no students"),
    ({"late": "who,when\n"}, "--late .*: no column 'student', 'submitted', 'due'"),
    ({"late": "student,submitted,due\nada,yesterday,2026-03-01T00:00\n"}, "ISO 8601"),
    ({"late": "student,submitted,due\nada,2026-03-02T00:00+01:00,2026-03-01T00:00\n"},
     "both with a time zone"),
])
def test_bad_input_is_one_line_and_exit_status_2(files, change, match, capsys):
    extra = []
    for key, text in change.items():
        if key == "late":
            extra = ["--late", str(write(files["out"].parent / "t.csv", text)),
                     "--late-policy", "10%/day"]
        else:
            write(files[key], text)
    assert export(files, *extra) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("autograder: error: ") and __import__("re").search(match, err)


@pytest.mark.parametrize("argv, match", [
    (["--late-policy", "10%/day"], "--late and --late-policy go together"),
    (["--late-policy", "lots"], "expected e.g."),
    (["--points", "0"], "expected a positive number"),
    (["--match", "name"], "invalid choice"),
])
def test_bad_options_are_one_line_and_exit_status_2(files, argv, match, capsys):
    assert export(files, *argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err


def test_a_roster_that_is_not_utf8_or_missing(files, capsys):
    files["roster"].write_bytes("Student,ID,SIS Login ID\nM\xfcller,1,m\n".encode("latin-1"))
    assert export(files) == 2
    assert "not UTF-8" in capsys.readouterr().err
    files["roster"].unlink()
    assert export(files) == 2
    assert "no such file" in capsys.readouterr().err
