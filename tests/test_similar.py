"""Similar submissions: planted copies are found, honest work and the shared stub are not.

The class is :func:`autograder.sample.similarity_class`: 37 honest submissions,
each function written its own way, and 3 copies disguised by renaming every name,
reordering the functions and changing the comments (some as notebooks).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder import cli, release, sample, similar, spec


@pytest.fixture(scope="module")
def ps1():
    return spec.load("ps1")


@pytest.fixture(scope="module")
def found(ps1, tmp_path_factory):
    root = tmp_path_factory.mktemp("similar")
    planted = sample.similarity_class(ps1, root / "class", n=40, copies=3)
    pairs = similar.run(ps1, root / "class", root / "out", threshold=0.01)
    return {"root": root, "planted": {frozenset(p) for p in planted}, "pairs": pairs}


def test_every_planted_copy_is_found_and_no_honest_pair_reaches_the_threshold(found):
    scores = {frozenset((p.a.student, p.b.student)): p.score for p in found["pairs"]}
    assert len(found["planted"]) == 3
    notebooks = {p.stem for p in (found["root"] / "class").glob("*.ipynb")}
    assert notebooks & set().union(*found["planted"])  # a copy handed in as a notebook
    for pair in found["planted"]:
        assert scores.get(pair, 0) >= similar.THRESHOLD, (sorted(pair), scores.get(pair))
    honest = {pair: s for pair, s in scores.items() if pair not in found["planted"]}
    assert max(honest.values()) < similar.THRESHOLD, max(honest.items(), key=lambda kv: kv[1])


def test_the_side_by_side_page_highlights_the_copied_code(found):
    out = found["root"] / "out"
    listed = json.loads((out / "similar.json").read_text())["pairs"]
    rank = next(k for k, p in enumerate(listed, 1) if frozenset((p["a"], p["b"])) in found["planted"])
    page = (out / "pairs" / f"{rank}.html").read_text()
    assert page.count("class='hit'") > 20 and "class='line'" in page
    assert f"href='pairs/{rank}.html'" in (out / "index.html").read_text()


def test_submissions_that_share_only_the_stub_do_not_match(ps1):
    stub = release.stub_module(ps1)
    vocabulary = {}
    subs = [similar.fingerprint(name, stub + "\n" + own, vocabulary) for name, own in (
        ("ann", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"),
        ("ben", "def relu(z):\n    out = np.maximum(z, 0)\n    return out\n"))]
    assert similar.similar_pairs(subs, similar.provided_code(ps1), vocabulary=vocabulary) == []
    # the same two, with nothing removed as provided: the stub alone makes them "similar"
    assert len(similar.similar_pairs(subs, "", vocabulary=vocabulary)) == 1


def test_normalization_ignores_names_comments_docstrings_and_layout():
    vocabulary = {}
    a = 'def f(x, y):\n    """Add."""\n    total = x + y  # sum\n    return total\n'
    b = "def g(p,\n      q):\n    # no docstring\n    t = (p + q)\n    return t\n"
    assert similar.tokens(a, vocabulary)[0].tolist() == similar.tokens(b, vocabulary)[0].tolist()
    c = "def g(p, q):\n    t = p - q\n    return t\n"
    assert similar.tokens(a, vocabulary)[0].tolist() != similar.tokens(c, vocabulary)[0].tolist()


def test_notebooks_count_their_code_cells_only(tmp_path):
    cells = [{"cell_type": "markdown", "source": "# def f(x): return x"},
             {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip list\n"]},
             {"cell_type": "code", "source": "def f(x):\n    return x + 1\n"}]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    code = similar.read_code(path)
    assert "# In[1]:\n# %matplotlib inline\n# !pip list" in code and "markdown" not in code
    vocabulary = {}
    assert similar.tokens(code, vocabulary)[0].tolist() == similar.tokens(
        "def g(y):\n    return y + 1\n", vocabulary)[0].tolist()


def test_cli_similar(found, tmp_path, capsys):
    assert cli.main(["similar", "ps1", str(found["root"] / "class"),
                     "--out", str(tmp_path / "s")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert (tmp_path / "s" / "index.html").is_file()
    bad = subprocess.run([sys.executable, "-m", "autograder", "similar", "ps1",
                          str(tmp_path / "nope"), "--out", str(tmp_path / "s"), "--threshold", "2"],
                         check=False, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
