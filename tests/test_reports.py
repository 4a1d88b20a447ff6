"""Reports from a real grading run: the gradebook, Gradescope's results, the
student feedback (which must never show a hidden value) and the class summary."""
from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import autograder.problems  # noqa: F401  (register the batteries before patching the registry)
from autograder import build, cases, feedback, flatten, report, sandbox, spec
from autograder.cases import Case
from autograder.grade import grade_submission
from autograder.nbgrader_grading import write_outputs
from autograder.results import CheckResult, ProblemResult, SubmissionResult

LIMITS = sandbox.Limits(call_timeout=2, load_timeout=5)
POINTS = {"sigmoid": 2.0, "relu": 1.0, "probe": 2.0}
GOOD = flatten.reference_source()

# The hidden case's input, the expected value and a wrong student's answer: none of
# them may reach a student.
HIDDEN_INPUT, HIDDEN_EXPECTED, HIDDEN_GOT = "123.456", "246.912", "124.456"


def probe_battery():
    """``probe`` doubles its input: one public case and one hidden, distinctive one."""
    return [Case("probe", "public probe", (np.array([1.5]),), expect=lambda z: 2 * z),
            Case("probe", "hidden probe", (np.array([float(HIDDEN_INPUT)]),),
                 expect=lambda z: 2 * z, hidden=True, weight=2.0)]


SUBMISSIONS = {
    "good": GOOD + "def probe(z):\n    return 2 * z\n",
    # Wrong everywhere on probe, and it prints its input: the hidden one too.
    "wrong": GOOD + "def probe(z):\n    print('my input was', z)\n    return z + 1\n",
    # Right on the public input only: all public tests pass, a hidden one fails.
    "sly": GOOD + "def probe(z):\n    return 2 * z if z.max() < 100 else z + 1\n",
    # Right on the public input; on the hidden one it prints, warns and raises with
    # the input in its words: a student reads none of them.
    "leaky": GOOD + "def probe(z):\n    if z.max() < 100:\n        return 2 * z\n"
             "    print('LEAK-PRINT', z)\n    import warnings; warnings.warn(f'LEAK-WARN {z}')\n"
             "    raise ValueError(f'LEAK-RAISE {z}')\n",
    # Fails to load, with markup in its error message.
    "broken": "raise ImportError('<script>alert(1)</script> & friends')\n",
}
SCRIPT_NAME = "<script>alert('name')</script>"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the class for real, add a hand-built result, and write every report."""
    root = tmp_path_factory.mktemp("reports")
    assignment = spec.Assignment("probe_ps", "Report <test>", dict(POINTS), root)
    results = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(cases.BATTERIES, "probe", probe_battery)
        for student, source in SUBMISSIONS.items():
            path = root / f"{student}.py"
            path.write_text(source)
            results.append(grade_submission(path, assignment, limits=LIMITS))
    results.append(SubmissionResult(
        SCRIPT_NAME, "x.py", "graded",
        [ProblemResult("sigmoid", 2.0, [CheckResult("sigmoid", "<b>bold</b> case", False, 1.0,
                                                    False, "got <img src=x onerror=alert(1)>",
                                                    "uses <i>tags</i>")]),
         ProblemResult("relu", 1.0, []), ProblemResult("probe", 2.0, [])],
        message="a <script>evil()</script> note"))
    out = root / "out"
    report.write_all(results, assignment, out)
    return {"out": out, "results": {r.student: r for r in results}, "assignment": assignment}


def student_facing(out: Path) -> dict[str, str]:
    files = sorted((out / "feedback").iterdir()) + sorted((out / "results").iterdir())
    return {f"{f.parent.name}/{f.name}": f.read_text(encoding="utf-8") for f in files}


def strict_json(text: str):
    def refuse(token):
        raise ValueError(f"not valid JSON: {token}")
    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------- the grading itself

def test_the_run_graded_what_it_should(graded):
    by = graded["results"]
    assert by["good"].status == by["wrong"].status == by["sly"].status == "graded"
    assert by["good"].points == 5.0 and by["wrong"].points == 3.0
    assert by["sly"].points == pytest.approx(3 + 2 * 1 / 3, abs=1e-3)  # public probe only
    assert by["broken"].status == "load-error" and by["broken"].points == 0
    assert by["leaky"].points == by["sly"].points


# ---------------------------------------------------------------- gradebook

def test_the_gradebook_has_a_row_per_submission(graded):
    with open(graded["out"] / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["student"] for r in rows] == [*SUBMISSIONS, SCRIPT_NAME]
    assert list(rows[0]) == ["student", *POINTS, "total", "max", "status", "message"]
    by = {r["student"]: r for r in rows}
    for student, r in graded["results"].items():
        row = by[student]
        assert float(row["total"]) == pytest.approx(r.points, abs=1e-4)
        assert float(row["max"]) == 5.0 and row["status"] == r.status
        assert sum(float(row[p]) for p in POINTS) == pytest.approx(float(row["total"]), abs=1e-3)
    assert (by["good"]["sigmoid"], by["good"]["relu"], by["good"]["probe"]) == ("2", "1", "2")
    assert by["wrong"]["probe"] == "0"
    assert "alert(1)" in by["broken"]["message"]  # the TA sees why


# ---------------------------------------------------------------- Gradescope

GRADESCOPE = {
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "properties": {
                "name": {"type": "string"},
                "score": {"type": "number"},
                "max_score": {"type": "number"},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "visibility": {"enum": ["hidden", "after_due_date", "after_published",
                                        "visible"]},
            }}},
    },
}


def test_results_json_follows_gradescopes_schema(graded):
    jsonschema = pytest.importorskip("jsonschema")
    files = sorted((graded["out"] / "results").glob("*.json"))
    assert len(files) == len(graded["results"])
    for f in files:
        data = strict_json(f.read_text(encoding="utf-8"))
        jsonschema.validate(data, GRADESCOPE)
        if data["tests"]:
            assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"], abs=1e-3)


def test_results_json_scores_and_visibility(graded):
    for student, r in graded["results"].items():
        if student not in SUBMISSIONS:
            continue
        data = strict_json((graded["out"] / "results" / f"{student}.json").read_text())
        assert data["score"] == pytest.approx(r.points, abs=1e-4)
        checks = [c for p in r.problems for c in p.checks]
        assert len(data["tests"]) == len(checks)
        for test, c in zip(data["tests"], checks):
            assert test["name"] == f"{c.problem}: {c.name}"
            assert test["visibility"] == ("after_published" if c.hidden else "visible")
            assert test["status"] == ("passed" if c.passed else "failed")
            assert (test["score"] == test["max_score"]) == c.passed or test["max_score"] == 0
        assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(5.0, abs=1e-3)
    sly = strict_json((graded["out"] / "results" / "sly.json").read_text())
    hidden = [t for t in sly["tests"] if t["name"] == "probe: hidden probe"]
    assert hidden[0]["status"] == "failed" and hidden[0]["output"] == "a hidden test failed"


# ---------------------------------------------------------------- no hidden values

def test_feedback_never_shows_hidden_inputs_or_expected_values(graded):
    out = graded["out"]
    files = student_facing(out)
    assert len(files) == 3 * len(graded["results"])
    for name, text in files.items():
        for secret in (HIDDEN_INPUT, HIDDEN_EXPECTED, HIDDEN_GOT):
            assert secret not in text, f"{secret} leaks into {name}"
    # The failures are still reported, by name, and the public one with its values.
    wrong = (out / "feedback" / "wrong.md").read_text()
    assert "**hidden probe** (hidden test, mathematics): a hidden test failed" in wrong
    assert "**public probe** (test, mathematics): the result differs" in wrong
    assert "expected 3" in wrong
    # The grader-side record has it all, for TAs: it must stay out of student reach.
    ta = (out / "ta" / "results.jsonl").read_text()
    assert HIDDEN_EXPECTED in ta and HIDDEN_GOT in ta  # in the message and log of the check
    assert HIDDEN_INPUT in ta                          # in what the student printed


def renderings(r: SubmissionResult, assignment) -> dict[str, str]:
    """Every text a student may be shown of ``r``, by where it is shown."""
    shown = {"markdown": feedback.markdown(r, assignment), "html": feedback.html(r, assignment),
             "cli check": feedback.check_report(r),
             "gradescope": json.dumps(report.gradescope(r))}
    for p in r.problems:
        shown[f"notebook check {p.name}"] = feedback.notebook_check(p)
        shown[f"notebook grade {p.name}"] = feedback.problem_summary(p)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "grade('probe')", metadata={"nbgrader": {"grade": True, "solution": False,
                                                  "grade_id": build.test_grade_id("probe"),
                                                  "points": 2}})])
    write_outputs(nb, r)
    shown["nbgrader cell"] = json.dumps(nb.cells[0].outputs)
    return shown


def test_no_rendering_shows_a_hidden_value_or_hidden_student_text(graded):
    """Every student-facing output, of every result, including one whose hidden
    check carries words the grader did not write (defence in depth)."""
    forged = SubmissionResult("forged", "f.py", "graded", [ProblemResult("probe", 2.0, [
        CheckResult("probe", "hidden probe", True, 1.0, False,
                    message=f"LEAK-MESSAGE got {HIDDEN_GOT}", log=HIDDEN_INPUT)])])
    leaky = graded["results"]["leaky"]
    assert "LEAK-RAISE" in leaky.problems[-1].checks[-1].log  # the TA still has it
    for r in [*graded["results"].values(), forged]:
        for where, text in renderings(r, graded["assignment"]).items():
            for secret in (HIDDEN_INPUT, HIDDEN_EXPECTED, HIDDEN_GOT, "LEAK"):
                assert secret not in text, f"{secret} reaches {r.student}'s {where}"
    shown = renderings(leaky, graded["assignment"])
    assert "a hidden test failed: your function raised ValueError" in shown["markdown"]
    assert "a hidden test failed" in shown["html"] and "a hidden test failed" in shown["gradescope"]


def test_a_pass_with_stand_ins_is_said_wherever_a_student_reads(graded):
    """A check that passed only with trusted stand-ins says so, hidden or not."""
    note = "`probe` is right when given a correct `relu`; your `relu` is wrong (see above)"
    r = SubmissionResult("noted", "n.py", "graded", [ProblemResult("probe", 2.0, [
        CheckResult("probe", "public probe", False, 1.0, True, note=note),
        CheckResult("probe", "hidden probe", True, 1.0, True, note=note)])])
    for where, text in renderings(r, graded["assignment"]).items():
        if where not in ("cli check", "notebook check probe"):  # no stand-ins in the kit
            assert "is right when given a correct" in text, where
    assert "passed: `probe` is right" in feedback.markdown(r, graded["assignment"])
    assert feedback.all_passed(r)


def test_the_html_page_is_the_markdown_page(graded):
    """Both come from one model: the same words in the same order, markup aside."""
    def words(text: str) -> list[str]:
        return re.sub(r"[*`|#>-]", " ", text).split()

    for r in graded["results"].values():
        page = feedback.html(r, graded["assignment"]).split("<body>")[1]
        shown = html.unescape(re.sub(r"<[^>]+>", " ", page))
        assert words(shown) == words(feedback.markdown(r, graded["assignment"])), r.student


def test_all_public_passed_is_not_all_passed(graded):
    """otter#138: 'all tests passed' must not be shown while hidden tests failed."""
    sly = (graded["out"] / "feedback" / "sly.md").read_text()
    assert "Every test passed" not in sly
    assert "hidden probe" in sly
    good = (graded["out"] / "feedback" / "good.md").read_text()
    assert "Every test passed" in good and "**5 / 5 points**" in good


def test_a_grader_defect_does_not_leak_into_feedback(tmp_path, monkeypatch):
    def defective(student, case):
        got = student.call("probe", np.array([987.654]))
        raise RuntimeError(f"cannot compare {got} with the expected 1975.308")

    monkeypatch.setitem(cases.BATTERIES, "probe", lambda: [
        Case("probe", "hidden defect", kind="custom", check=defective, hidden=True)])
    assignment = spec.Assignment("defect", "Defect", {"probe": 1.0}, tmp_path)
    path = tmp_path / "dana.py"
    path.write_text("def probe(z):\n    return 2 * z\n")
    result = grade_submission(path, assignment, limits=LIMITS)
    assert result.problems[0].checks[0].message == "the grader could not run this check"
    report.write_all([result], assignment, tmp_path / "out")
    for name, text in student_facing(tmp_path / "out").items():
        assert "987.654" not in text and "1975.308" not in text, name


# ---------------------------------------------------------------- HTML

def test_html_escapes_student_controlled_text(graded):
    pages = sorted((graded["out"] / "feedback").glob("*.html"))
    assert len(pages) == len(graded["results"])
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "<img" not in text.lower(), page.name
    named = [p.read_text() for p in pages if "name" in p.read_text()]
    assert any("&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in t for t in named)
    hand = next(t for t in named if "evil()" in t)
    assert "&lt;script&gt;evil()&lt;/script&gt;" in hand
    assert "&lt;img src=x onerror=alert(1)&gt;" in hand and "&lt;b&gt;bold&lt;/b&gt;" in hand
    broken = (graded["out"] / "feedback" / "broken.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in broken
    assert "<title>Feedback: broken</title>" in broken
    assert "<h1>Report &lt;test&gt;: feedback for broken</h1>" in broken


def test_file_names_are_safe(graded):
    names = [p.name for p in (graded["out"] / "results").iterdir()]
    assert all("/" not in n and "<" not in n and ">" not in n for n in names)


def test_distinct_students_get_distinct_report_files(tmp_path):
    assignment = spec.Assignment("a", "A", {"relu": 1.0}, tmp_path)
    results = [SubmissionResult(s, f"{s}.py", "graded", [ProblemResult("relu", 1.0)])
               for s in ("x y", "x_y")]
    report.write_all(results, assignment, tmp_path / "out")
    assert len(list((tmp_path / "out" / "results").glob("*.json"))) == 2


# ---------------------------------------------------------------- summary

def test_the_class_summary_exists(graded):
    out = graded["out"]
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert f"{len(graded['results'])} submissions; max 5 points." in md
    assert "| graded | 5 |" in md and "| load-error | 1 |" in md
    assert "| `probe` |" in md
    png = (out / "summary.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


# ---------------------------------------------------------------- text a student controls

CLEAN = {
    "colour": ("a\x1b[31mred\x1b[0m", "a\\x1b[31mred\\x1b[0m"),
    "cursor up, erase line, carriage return": ("\x1b[1A\x1b[2K\rbob 10/10",
                                               "\\x1b[1A\\x1b[2K bob 10/10"),
    "window title (OSC, BEL)": ("x\x1b]0;pwned\x07y", "x\\x1b]0;pwned\\x07y"),
    "8-bit CSI": ("\x9b2Jz", "\\x9b2Jz"),
    "NUL, DEL, C1": ("a\x00\x7f\x85b", "a\\x00\\x7f\\x85b"),
    "bidi override": ("a\u202eb\u2066c", "a\\u202eb\\u2066c"),
    "undecodable file-name byte": ("x\udcffy", "x\\udcffy"),
    "newlines and tabs": ("a\nb\r\nc\td", "a b  c d"),
    "plain text, accents kept": ("José Müller — 3/4", "José Müller — 3/4"),
}


@pytest.mark.parametrize("text, cleaned", CLEAN.values(), ids=CLEAN.keys())
def test_clean_makes_escapes_and_controls_visible(text, cleaned):
    assert report.clean(text) == cleaned
    assert report.clean(f"x\n{text}\ty", newlines=True).startswith("x\n")
    assert report.clean("alice\x07") != report.clean("alice")  # no look-alike of a classmate


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1"])
def test_csv_cells_are_never_formulas(cell):
    assert report.csv_cell(cell).startswith("'")
    assert report.csv_cell("alice") == "alice" and report.csv_cell("3.5") == "3.5"
