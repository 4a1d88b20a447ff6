"""The rules an assignment states, and the known mistakes that break them.

A notebook's narrative (``assignments/<ps>/notebook.md``) states rules in so many
words: "never modify an input", "raise ``ValueError``", "in ``z``'s dtype".  Each
such *normative* sentence carries the id of the rule it states, in a marker
after it::

    Return an array of the same shape, in `z`'s floating dtype. <!-- rule: ps1.sigmoid.dtype -->

Markers are HTML comments: the released notebooks carry them, invisible.  A
rule is *covered* when a known mistake (``autograder/mistakes``) that breaks that
rule alone names it (``@mistake(..., rules=("ps1.sigmoid.dtype",))``) and the
battery catches that mistake (``autograder audit`` checks it and prints the
coverage).  :func:`unmarked` finds normative sentences without a marker, so that
a new sentence without a rule id fails a test.
"""
from __future__ import annotations

import dataclasses
import re

from . import spec
from .cases import MISTAKES

#: A rule marker; group 1 is the id, e.g. ``ps1.bce.float32-boundary``.
MARKER = re.compile(r"<!--\s*rule:\s*([\w.-]+)\s*-->")
#: Words that make a sentence normative: it states what a function must do.
NORMATIVE = re.compile(
    r"\b(must|never|do not|raises?|requires?|copies|is an array|are arrays|same shape|"
    r"(?:in|to) (?:the input's|CODE's|its|their) (?:floating )?dtype)\b", re.IGNORECASE)
#: A marker for a sentence that reads as a rule but states a fact (a theorem, a
#: behaviour of numpy): it needs no case.
FACT = "<!-- fact -->"
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?:])|(?<=-->))\s+(?=[A-Z*`(\[$])")


@dataclasses.dataclass(frozen=True)
class Sentence:
    """One normative sentence of a narrative, and the rule ids marked after it."""

    text: str
    rules: tuple[str, ...]


def blocks(markdown: str) -> list[str]:
    """The narrative's paragraphs and list items, code blocks and math left out."""
    text = _FENCE.sub("", markdown)
    out = []
    for para in re.split(r"\n\s*\n", text):
        if para.lstrip().startswith("$$"):
            continue
        out += [b for b in re.split(r"\n(?=\s*[*-] )", para) if b.strip()]
    return out


def sentences(markdown: str) -> list[Sentence]:
    """The normative sentences of ``markdown``, each with the markers that follow it
    (before the next sentence)."""
    found = []
    for block in blocks(markdown):
        for part in _SENTENCE_END.split(" ".join(block.split())):
            rules = tuple(MARKER.findall(part)) + (("fact",) if FACT in part else ())
            words = MARKER.sub("", part).replace(FACT, "").strip()
            if rules and found and not words:  # a marker on a line of its own
                found[-1] = Sentence(found[-1].text, found[-1].rules + rules)
            elif rules or NORMATIVE.search(re.sub(r"`[^`]*`|\$[^$]*\$", "CODE", words)):
                found.append(Sentence(words, rules))
    return found


def stated(assignment: spec.Assignment) -> dict[str, str]:
    """``{rule id: the first sentence that states it}`` for ``assignment``'s narrative."""
    out: dict[str, str] = {}
    for s in sentences(narrative(assignment)):
        for rule in s.rules:
            if rule == "fact":
                continue
            out.setdefault(rule, s.text)
    return out


def unmarked(assignment: spec.Assignment) -> list[str]:
    """The normative sentences of ``assignment``'s narrative that carry no rule id."""
    return [s.text for s in sentences(narrative(assignment)) if not s.rules]


def narrative(assignment: spec.Assignment) -> str:
    """The text of ``assignment``'s ``notebook.md`` (empty if it has none)."""
    path = assignment.folder / "notebook.md"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def mistakes_for(rule: str, problems) -> list[tuple[str, str]]:
    """``(function, mistake message)`` of each known mistake of ``problems`` that
    names ``rule``."""
    return [(p, m.message) for p in problems for m in MISTAKES.get(p, []) if rule in m.rules]
