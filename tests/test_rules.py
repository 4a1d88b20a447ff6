"""Every rule a notebook states carries an id, and a known mistake breaks it.

Whether the battery catches each such mistake is the audit's part
(``autograder audit psN`` prints the coverage; ``tests/test_audit.py`` runs it).
"""
from __future__ import annotations

import pytest

from autograder import audit, rules, spec
from autograder.cases import MISTAKES, batteries

batteries()


def _inventoried(name: str) -> spec.Assignment:
    assignment = spec.load(name)
    if not rules.MARKER.search(rules.narrative(assignment)):
        pytest.skip(f"{name} has no rule inventory yet")
    return assignment


@pytest.mark.parametrize("name", spec.available())
def test_every_normative_sentence_carries_a_rule_id(name):
    assignment = _inventoried(name)
    assert rules.unmarked(assignment) == []


@pytest.mark.parametrize("name", spec.available())
def test_every_rule_has_a_known_mistake_that_breaks_it(name):
    assignment = _inventoried(name)
    missing = [r for r in rules.stated(assignment)
               if not rules.mistakes_for(r, assignment.points)]
    assert missing == []


def test_every_rule_a_mistake_names_is_stated_somewhere():
    stated = {r for name in spec.available() for r in rules.stated(spec.load(name))}
    named = {r for known in MISTAKES.values() for m in known for r in m.rules}
    assert named <= stated, sorted(named - stated)


# ---------------------------------------------------------------- the detector itself

NARRATIVE = """# A problem set

Intro text with no rule at all.

**Purity.** Never modify an input array. <!-- rule: ps.purity --> Build new ones.

* **Dtype.** Compute in the input's floating dtype. <!-- rule: ps.dtype -->
* **Bad input.** Raise `ValueError` on bad input.

Return an array of the same shape, in `z`'s floating dtype.
<!-- rule: ps.shape -->
<!-- rule: ps.dtype -->

The cost never stops falling. <!-- fact -->

```python
assert x, "this code must not count"
```

$$ \\text{this must not count either} $$
"""


def test_the_detector_finds_each_normative_sentence_and_its_ids():
    found = rules.sentences(NARRATIVE)
    assert [(s.text.split()[-1], s.rules) for s in found] == [
        ("array.", ("ps.purity",)), ("dtype.", ("ps.dtype",)), ("input.", ()),
        ("dtype.", ("ps.shape", "ps.dtype")), ("falling.", ("fact",))]


def test_a_new_normative_sentence_without_an_id_is_found(tmp_path):
    (tmp_path / "notebook.md").write_text(NARRATIVE + "\nLabels must be 0 or 1.\n")
    assignment = spec.Assignment("ps", "PS", {"relu": 1.0}, tmp_path)
    assert rules.unmarked(assignment) == ["* **Bad input.** Raise `ValueError` on bad input.",
                                          "Labels must be 0 or 1."]
    assert rules.stated(assignment) == {
        "ps.purity": "**Purity.** Never modify an input array.",
        "ps.dtype": "* **Dtype.** Compute in the input's floating dtype.",
        "ps.shape": "Return an array of the same shape, in `z`'s floating dtype."}


def test_coverage_counts_only_caught_mistakes(tmp_path, monkeypatch):
    (tmp_path / "notebook.md").write_text("Never modify z. <!-- rule: ps.purity -->\n")
    assignment = spec.Assignment("ps", "PS", {"relu": 1.0}, tmp_path)
    purity = next(m.message for m in MISTAKES["relu"] if "ps1.purity" in m.rules)
    monkeypatch.setattr(rules, "mistakes_for", lambda rule, problems: [("relu", purity)])
    row = audit.AuditRow("relu", wrong=1, caught=1)
    assert audit.rule_coverage(assignment, [row]).covered == {"ps.purity": f"relu: {purity}"}
    row = audit.AuditRow("relu", wrong=1, escaped=[purity])
    coverage = audit.rule_coverage(assignment, [row])
    assert coverage.uncovered == ["ps.purity"]
    assert "rules covered: 0/1" in coverage.format() and "UNCOVERED ps.purity" in coverage.format()
