"""The class report (``index.html``, ``summary.json``): its numbers against ground truth.

The sample class plants known mistakes (:func:`autograder.sample.planted`); graded
for real, the report must count exactly those, for every assignment.  The
statistics are also checked on hand-built results, where every number is known.
"""
from __future__ import annotations

import collections
import json

import pytest

from autograder import classreport, report, sample, sandbox, spec
from autograder.grade import grade_all
from autograder.results import CheckResult, ProblemResult, SubmissionResult

LIMITS = sandbox.Limits(call_timeout=3, cell_timeout=3, load_timeout=10)


@pytest.mark.parametrize("name", spec.available())
def test_misconception_counts_equal_what_the_sample_class_planted(name, tmp_path):
    assignment = spec.load(name)
    planted = sample.planted(assignment)
    paths = [p for p in sample.make_class(assignment, tmp_path / "class") if p.stem in planted]
    # our own generated code, graded in-process: the diagnoses are the same, in a fraction
    # of the time (the sandboxed path, and write_all, are what test_classreport_browser.py runs)
    results = grade_all([(p.stem, p) for p in paths], assignment, jobs=1, limits=LIMITS,
                        isolated=False)
    summary = classreport.class_statistics(results, assignment)

    found = {(m["function"], m["mistake"]): sorted(m["students"])
             for m in summary["misconceptions"]}
    truth = collections.defaultdict(list)
    for student, chosen in planted.items():
        for fn, mistake in chosen.items():
            truth[(fn, mistake.message)].append(student)
    assert found == dict(truth)
    assert [m["count"] for m in summary["misconceptions"]] == \
        sorted((len(s) for s in truth.values()), reverse=True)
    page = classreport.render(summary)
    for m in summary["top"]:
        assert f"{m['count']} of {len(planted)}" in page


# ---------------------------------------------------------------- hand-built results

def _result(student, status="graded", **functions):
    """``functions``: name -> list of (case, passed, diagnosis)."""
    problems = [ProblemResult(fn, 1.0, [CheckResult(fn, case, False, 1.0, ok, "" if ok else
                                                    f"got {k}.5, expected 2", diag)
                                        for k, (case, ok, diag) in enumerate(cases)])
                for fn, cases in functions.items()]
    return SubmissionResult(student, f"{student}.py", status, problems, seconds=1.0)


OK = [("a", True, None), ("b", True, None)]
DOUBLED = [("a", False, "doubled"), ("b", False, "doubled")]
ASSIGNMENT = spec.Assignment("hand", "Hand", {"sigmoid": 1.0, "neuron_forward": 1.0}, None)
CLASS = [
    _result("ann", sigmoid=OK, neuron_forward=OK),
    _result("ben", sigmoid=DOUBLED, neuron_forward=[("a", False, "spurious"), ("b", True, None)]),
    _result("cat", sigmoid=OK, neuron_forward=[("a", False, None), ("b", False, None)]),
    _result("dan", sigmoid=[("a", True, None), ("b", False, "doubled")], neuron_forward=OK),
    _result("eve", "load-error", sigmoid=DOUBLED, neuron_forward=DOUBLED),
]


def test_statistics_of_a_hand_built_class():
    stats = classreport.class_statistics(CLASS, ASSIGNMENT)
    assert stats["overview"]["status"] == {"graded": 4, "load-error": 1}
    assert stats["graded"] == 4
    # ben's neuron_forward failure is downstream of his wrong sigmoid, which it calls:
    # neither a misconception nor unexplained; eve's load error counts nowhere.
    assert [(m["function"], m["mistake"], m["students"]) for m in stats["misconceptions"]] == \
        [("sigmoid", "doubled", ["ben", "dan"])]
    assert stats["misconceptions"][0]["evidence"] == [[2, 2], [1, 1]]  # explained / failed
    assert stats["top"] == [{"function": "sigmoid", "mistake": "doubled", "count": 2,
                             "share": 0.5}]
    assert stats["downstream_failures"] == 1
    assert [(g["function"], g["message"], g["count"], g["students"])
            for g in stats["unexplained"]] == [("neuron_forward", "got #, expected #", 2, ["cat"])]
    sigmoid = stats["functions"][0]
    assert [(c["case"], c["passed"], c["total"]) for c in sigmoid["cases"]] == \
        [("b", 2, 4), ("a", 3, 4)]  # hardest first
    assert sigmoid["full_marks"] == 2 and sigmoid["mean_share"] == 0.625


def test_discrimination_is_the_point_biserial_correlation():
    # full marks on the item with rest totals; numpy's Pearson r is the oracle
    import numpy as np
    item, rest = [1, 1, 0, 0, 1], [3.0, 2.5, 1.0, 2.0, 0.5]
    assert classreport.point_biserial(item, rest) == pytest.approx(
        np.corrcoef(item, rest)[0, 1], abs=1e-4)
    assert classreport.point_biserial([1, 1, 1], [1.0, 2.0, 3.0]) is None
    stats = classreport.class_statistics(CLASS, ASSIGNMENT)
    flagged = {f["function"]: (f["discrimination"], f["flagged"]) for f in stats["functions"]}
    # neuron_forward: full marks for ann and dan, whose rest totals are 1 and 0.5;
    # ben and cat, without, have 0 and 1: r = 0.25 / sqrt(0.6875) = 0.3015, not flagged.
    assert flagged["neuron_forward"] == (pytest.approx(0.3015, abs=1e-4), False)


def test_a_function_that_the_weaker_students_pass_is_flagged():
    # 12 students: "strict" is passed by exactly the six who fail "easy", so the rest of
    # each (the other, opposite, plus "fair", unrelated) gives r = -1/sqrt(2); for "fair"
    # the rest (easy + strict) is 1 for all: r is None.
    assignment = spec.Assignment("flag", "Flag", {"easy": 1.0, "strict": 1.0, "fair": 1.0}, None)
    results = [_result(f"s{k}", easy=[("a", k < 6, None)], strict=[("a", k >= 6, None)],
                       fair=[("a", k % 2 == 0, None)]) for k in range(12)]
    stats = classreport.class_statistics(results, assignment)
    flags = {f["function"]: f["flagged"] for f in stats["functions"]}
    assert flags == {"easy": True, "strict": True, "fair": False}
    assert [f["discrimination"] for f in stats["functions"]] == [-0.7071, -0.7071, None]
    assert not any(f["flagged"] for f in classreport.class_statistics(
        results[:8], assignment)["functions"])  # too few to say


def test_every_number_on_the_page_is_in_summary_json(tmp_path):
    report.write_all(CLASS, ASSIGNMENT, tmp_path)
    page = (tmp_path / "index.html").read_text()
    text = json.dumps(json.loads((tmp_path / "summary.json").read_text()))
    import re
    visible = re.sub(r"<script>.*?</script>|<style>.*?</style>|<[^>]+>|data:image[^']+", " ",
                     page, flags=re.DOTALL)
    numbers = set(re.findall(r"(?<![\w.#-])\d+(?:\.\d+)?", visible))
    shares = {f"{100 * x:.0f}" for x in _floats(json.loads(text))}
    missing = {n for n in numbers if n not in text and n not in shares}
    assert not missing, f"numbers on the page but not in summary.json: {missing}"


def _floats(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _floats(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _floats(v)
    elif isinstance(obj, float):
        yield obj


def test_the_report_links_similar_submissions_when_present(tmp_path):
    report.write_all(CLASS, ASSIGNMENT, tmp_path)
    assert "href='similar/index.html'" not in (tmp_path / "index.html").read_text()
    (tmp_path / "similar").mkdir()
    (tmp_path / "similar" / "index.html").write_text("<p>pairs</p>")
    report.write_all(CLASS, ASSIGNMENT, tmp_path)
    assert "href='similar/index.html'" in (tmp_path / "index.html").read_text()


def test_similar_run_after_grading_links_the_report(tmp_path):
    report.write_all(CLASS, ASSIGNMENT, tmp_path)
    before = json.loads((tmp_path / "summary.json").read_text())
    assert not classreport.link_similar(tmp_path)  # no similar/ yet
    (tmp_path / "similar").mkdir()
    (tmp_path / "similar" / "index.html").write_text("<p>pairs</p>")
    assert not classreport.link_similar(tmp_path / "similar")  # no class report there
    assert classreport.link_similar(tmp_path)
    assert "href='similar/index.html'" in (tmp_path / "index.html").read_text()
    after = json.loads((tmp_path / "summary.json").read_text())
    assert after == {**before, "similar": "similar/index.html"}
