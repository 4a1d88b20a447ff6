"""Similar submissions: winnowed fingerprints of normalized code, as MOSS does.

    autograder similar ASSIGNMENT SUBMISSIONS --out DIR [--threshold T]

1. **Code.**  A ``.py`` file's text, or a notebook's code cells (IPython magics
   and shell lines commented out), read as :mod:`autograder.submissions` reads
   every submission.
2. **Tokens** (:mod:`tokenize`).  Comments, blank lines, indentation and
   docstrings (a string that is a whole statement) are dropped; every identifier
   becomes ``N`` (keywords, and attribute names after a ``.``, stay) and every
   string ``S``; numbers and operators stay.  So renaming and re-commenting
   change nothing.
3. **Fingerprints.**  Every :data:`K` consecutive tokens of one top-level
   statement hash into a k-gram;
   winnowing keeps the smallest hash of every window of :data:`W` consecutive
   k-grams (Schleimer, Wilkerson and Aiken, SIGMOD 2003), so a run of ``W + K - 1``
   shared tokens always shares a fingerprint.  A set of fingerprints has no
   order: reordered functions change nothing.
4. **What students did not write.**  Fingerprints of the provided code (the
   released stub module and the notebook's code cells, solutions removed:
   :func:`provided_code`) are dropped, and so are those found in more than
   ``common`` of the submissions (code that everyone writes alike).
5. **Pairs.**  An inverted index maps each fingerprint to the submissions that
   hold it; a pair's shared count is accumulated from those lists only, never
   over every pair.  A pair's score is ``shared / min(|A|, |B|)``, the share of
   the smaller submission's fingerprints found in the other, and it is reported
   from ``threshold`` on, if at least :data:`MIN_SHARED` fingerprints are shared.

``DIR`` then holds ``index.html`` (the pairs, best first), ``pairs/<rank>.html``
(the two files side by side, shared lines highlighted) and ``similar.json``; the
class report in ``DIR/..``, if any, links to it.
"""
from __future__ import annotations

import ast
import collections
import copy
import dataclasses
import html
import io
import itertools
import json
import keyword
import re
import tokenize
from pathlib import Path

import numpy as np

from . import build, classreport, release, report  # build, release: TA side only
from .submissions import Unreadable, discover, read_bytes, read_notebook

#: Tokens per k-gram, and k-grams per winnowing window: a shared run of W + K - 1 = 15
#: tokens (about two lines of code) always shares a fingerprint.
K, W = 10, 6
#: The fewest shared fingerprints a reported pair has.
MIN_SHARED = 5
#: Default score from which a pair is reported, and the default share of the
#: class beyond which a fingerprint counts as common code (ignored).  On ps1's
#: sample.similarity_class of 40 with seeds 0-3, disguised copies scored 0.91-1.0
#: and honest pairs at most 0.45.
THRESHOLD, COMMON = 0.7, 0.1
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER}
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_MAGIC = re.compile(r"^(\s*)([%!])", re.MULTILINE)


@dataclasses.dataclass
class Fingerprinted:
    """One submission's code and its fingerprints.

    Attributes
    ----------
    student : str
    code : str
        The code shown side by side (a notebook's code cells, each under a header).
    lines : ndarray of int, shape (n_tokens, 2)
        The first and last line (1-based, in ``code``) of each normalized token's statement.
    prints : dict
        Fingerprint hash -> token positions where its k-gram starts.
    """

    student: str
    code: str
    lines: np.ndarray
    prints: dict


# ---------------------------------------------------------------- one submission

def read_code(path: Path) -> str:
    """The code of a ``.py`` file, or a notebook's code cells under ``# In[k]`` headers.

    Raises
    ------
    Unreadable
        See :func:`autograder.submissions.read_bytes` and ``read_notebook``.
    """
    if path.suffix != ".ipynb":
        return read_bytes(path).decode("utf-8", errors="replace")
    cells = []
    for k, cell in enumerate(read_notebook(path)["cells"]):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            cells.append(f"# In[{k}]:\n" + _MAGIC.sub(r"\1# \2", "".join(src)))
    return "\n\n".join(cells) + "\n"


def statements(code: str) -> list[tuple[str, int, int, int]]:
    """``code`` in canonical form, a piece at a time: ``(text, first line, last line,
    top-level statement)``.

    Each simple statement, and each compound statement's header (``def f(x):``,
    ``if a > b:``), is printed by :func:`ast.unparse`, so that layout, redundant
    parentheses, quotes and comments change nothing.  Code that does not parse
    is one piece, as written, with lines ``(0, 0)``: its tokens keep their own.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [(code, 0, 0, 0)]
    pieces = []

    def visit(nodes, top):
        for node in nodes:
            blocks = [f for f in _BLOCKS if isinstance(getattr(node, f, None), list)]
            if blocks:
                head = copy.copy(node)
                for f in blocks:
                    setattr(head, f, [])
                pieces.append((ast.unparse(head), node.lineno, node.lineno, top))
                for f in blocks:
                    visit(getattr(node, f), top)
            else:
                pieces.append((ast.unparse(node), node.lineno, node.end_lineno, top))
    try:
        for top, node in enumerate(tree.body):
            visit([node], top)
    except RecursionError:  # nested too deeply to print: as written
        return [(code, 0, 0, 0)]
    return pieces


def tokens(code: str, vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The normalized tokens of ``code`` (:func:`statements`): their ids in ``vocabulary``
    (grown as needed), the first and last line of the piece each comes from, and its
    top-level statement.  Text that does not tokenize is read up to its first error."""
    ids, lines, tops = [], [], []
    for text, first, last, top in statements(code):
        raw = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type not in _SKIP:
                    raw.append(tok)
        except (tokenize.TokenError, SyntaxError):
            pass
        for i, tok in enumerate(raw):
            prev = raw[i - 1] if i else None
            if (tok.type == tokenize.STRING and (prev is None or prev.type == tokenize.NEWLINE)
                    and (i + 1 == len(raw) or raw[i + 1].type == tokenize.NEWLINE)):
                continue  # a docstring, or a string used as a comment
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and not (
                    prev is not None and prev.string == "."):
                word = "N"
            elif tok.type == tokenize.STRING:
                word = "S"
            elif tok.type == tokenize.NEWLINE:
                if ids and ids[-1] == vocabulary.get(";"):
                    continue
                word = ";"
            else:
                word = tok.string
            ids.append(vocabulary.setdefault(word, len(vocabulary) + 1))
            lines.append((first, last) if first else (tok.start[0], tok.end[0]))
            tops.append(top)
    return (np.array(ids, dtype=np.uint64), np.array(lines, dtype=np.int64).reshape(-1, 2),
            np.array(tops, dtype=np.int64))


def kgram_hashes(ids: np.ndarray, tops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of each run of :data:`K` consecutive token ids (polynomial, then
    mixed) within one top-level statement, so that their order does not matter;
    and the position of each run's first token."""
    if len(ids) < K:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        h = np.zeros(len(ids) - K + 1, dtype=np.uint64)
        for j in range(K):
            h = h * np.uint64(1_000_003) + ids[j:len(ids) - K + 1 + j]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    starts = np.flatnonzero(tops[:len(h)] == tops[K - 1:])
    return h[starts], starts


def winnow(hashes: np.ndarray) -> np.ndarray:
    """The positions winnowing keeps: the (leftmost) minimum of every window of :data:`W`."""
    if len(hashes) <= W:
        return np.argmin(hashes, keepdims=True) if len(hashes) else np.zeros(0, dtype=int)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, W)
    return np.unique(np.argmin(windows, axis=1) + np.arange(len(windows)))


def fingerprint(student: str, code: str, vocabulary: dict[str, int]) -> Fingerprinted:
    """``code``'s winnowed fingerprints."""
    ids, lines, tops = tokens(code, vocabulary)
    hashes, starts = kgram_hashes(ids, tops)
    prints = collections.defaultdict(list)
    for k in winnow(hashes).tolist():
        prints[int(hashes[k])].append(int(starts[k]))
    return Fingerprinted(student, code, lines, dict(prints))


# ---------------------------------------------------------------- the class

def provided_code(assignment) -> str:
    """What every student was given: the released ``.py`` stubs, and the notebook's
    code cells with the solutions removed (where the assignment has a narrative)."""
    parts = [release.stub_module(assignment), "# YOUR CODE HERE\nraise NotImplementedError()\n"]
    try:
        nb = build.build_notebook(assignment)
    except build.BuildError:
        nb = None
    for cell in nb.cells if nb else []:
        if cell.cell_type == "code":
            parts.append(re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", cell.source,
                                flags=re.DOTALL))
    return "\n\n".join(parts)


@dataclasses.dataclass
class Pair:
    """Two submissions and what they share."""

    a: Fingerprinted
    b: Fingerprinted
    shared: set
    score: float

    def to_dict(self) -> dict:
        return {"a": report.clean(self.a.student), "b": report.clean(self.b.student),
                "score": round(self.score, 4), "shared": len(self.shared)}


def similar_pairs(subs: list[Fingerprinted], provided: str, *, vocabulary: dict[str, int],
                  threshold: float = THRESHOLD, common: float = COMMON) -> list[Pair]:
    """The pairs of ``subs`` whose score reaches ``threshold``, best first.

    Parameters
    ----------
    subs : list of Fingerprinted
        Fingerprinted with ``vocabulary``.
    provided : str
        The code every student was given (:func:`provided_code`); none of its k-grams counts.
    vocabulary : dict
        The token ids ``subs`` were fingerprinted with.
    threshold : float, default=THRESHOLD
    common : float, default=COMMON
        A fingerprint held by more than ``max(2, common * len(subs))`` submissions is ignored.
    """
    ids, _, tops = tokens(provided, vocabulary)
    base = set(kgram_hashes(ids, tops)[0].tolist())
    index = collections.defaultdict(list)
    for i, s in enumerate(subs):
        for h in s.prints:
            if h not in base:
                index[h].append(i)
    most = max(2, int(common * len(subs)))
    kept = {h: holders for h, holders in index.items() if len(holders) <= most}
    size = collections.Counter(i for holders in kept.values() for i in holders)
    counts = collections.Counter()
    for holders in kept.values():
        counts.update(itertools.combinations(holders, 2))
    pairs = []
    for (i, j), shared in counts.items():
        score = shared / min(size[i], size[j])
        if shared >= MIN_SHARED and score >= threshold:
            common_prints = {h for h in subs[i].prints.keys() & subs[j].prints.keys() if h in kept}
            pairs.append(Pair(subs[i], subs[j], common_prints, score))
    return sorted(pairs, key=lambda p: (-p.score, p.a.student, p.b.student))


def run(assignment, folder, out: Path, threshold: float = THRESHOLD) -> list[Pair]:
    """Find the similar pairs among the submissions in ``folder``; write ``out``'s pages.

    When ``out`` is ``similar/`` in a graded class's report folder, the class report
    links to it from then on (:func:`classreport.link_similar`).

    Raises
    ------
    SubmissionsError
        ``folder`` does not exist or holds no submission.
    """
    vocabulary: dict[str, int] = {}
    subs, skipped = [], []
    for s in discover(folder, assignment.name):
        try:
            if s.problem:
                raise Unreadable(s.problem)
            subs.append(fingerprint(s.student, read_code(s.path), vocabulary))
        except Unreadable as exc:
            skipped.append((s.student, str(exc)))
    pairs = similar_pairs(subs, provided_code(assignment), threshold=threshold,
                          vocabulary=vocabulary)
    write_pages(pairs, out, assignment, len(subs), skipped, threshold)
    classreport.link_similar(out.parent)
    return pairs


# ---------------------------------------------------------------- pages

def write_pages(pairs: list[Pair], out: Path, assignment, n: int, skipped: list, threshold: float):
    """``out/index.html``, ``out/pairs/<rank>.html`` and ``out/similar.json``."""
    (out / "pairs").mkdir(parents=True, exist_ok=True)
    rows = []
    for rank, pair in enumerate(pairs, 1):
        (out / "pairs" / f"{rank}.html").write_text(side_by_side(pair, rank), encoding="utf-8")
        rows.append(f"<tr><td>{rank}</td><td>{_e(pair.a.student)}</td><td>{_e(pair.b.student)}</td>"
                    f"<td>{pair.score:.0%}</td><td>{len(pair.shared)}</td>"
                    f"<td><a href='pairs/{rank}.html'>side by side</a></td></tr>")
    skipped_html = "".join(f"<li>{_e(s)}: {_e(why)}</li>" for s, why in skipped)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>Similar submissions: "
            f"{_e(assignment.name)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{_e(assignment.title)} ({_e(assignment.name)}): similar submissions</h1>"
            f"<p>{n} submissions compared; {len(pairs)} pairs share at least {threshold:.0%} of "
            f"the smaller one's fingerprints (normalized code, without the provided stubs and "
            f"common code). A pair to read by hand, not a verdict.</p>"
            + (f"<table><tr><th>#</th><th>student</th><th>student</th><th>score</th>"
               f"<th>shared fingerprints</th><th></th></tr>{''.join(rows)}</table>"
               if rows else "<p>No pair above the threshold.</p>")
            + (f"<h2>Not compared</h2><ul>{skipped_html}</ul>" if skipped else "")
            + "</body></html>\n")
    (out / "index.html").write_text(page, encoding="utf-8")
    (out / "similar.json").write_text(json.dumps(
        {"assignment": assignment.name, "submissions": n, "threshold": threshold,
         "k": K, "window": W, "pairs": [p.to_dict() for p in pairs],
         "skipped": [{"student": report.clean(s), "reason": why} for s, why in skipped]},
        indent=1), encoding="utf-8")


def _e(text) -> str:
    """Student-controlled text, safe in HTML."""
    return html.escape(report.clean(text))


def shared_lines(sub: Fingerprinted, shared: set) -> set[int]:
    """The lines of ``sub.code`` covered by the k-grams of the ``shared`` fingerprints."""
    lines = set()
    for h in shared:
        for pos in sub.prints[h]:
            for first, last in sub.lines[pos:pos + K].tolist():
                lines.update(range(first, last + 1))
    return lines


def side_by_side(pair: Pair, rank: int) -> str:
    """The two submissions in two columns, the lines they share highlighted."""
    columns = []
    for sub in (pair.a, pair.b):
        hit = shared_lines(sub, pair.shared)
        body = "".join(
            f"<span class='{'hit' if k in hit else 'line'}'>{k:4d}  "
            f"{_e(line)}</span>\n"
            for k, line in enumerate(sub.code.splitlines(), 1))
        columns.append(f"<div><h2>{_e(sub.student)}</h2>"
                       f"<pre>{body}</pre></div>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Pair {rank}</title>"
            f"<style>{_CSS}</style></head><body><p><a href='../index.html'>all pairs</a> · "
            f"pair {rank}: score {pair.score:.0%}, {len(pair.shared)} shared fingerprints; "
            f"shared lines highlighted</p><div class='cols'>{''.join(columns)}</div>"
            "</body></html>\n")


_CSS = ("body{font-family:system-ui,sans-serif;margin:1em}table{border-collapse:collapse}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}"
        ".cols{display:flex;gap:1em}.cols>div{flex:1;min-width:0;overflow-x:auto}"
        "pre{font-size:12px}.hit{background:#ffd27f;display:block}.line{display:block}")
