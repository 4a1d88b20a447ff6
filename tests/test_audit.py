"""The batteries measured through the real engine, sandbox included.

Every known wrong variant must lose points on its function, every correct
variant written differently from the reference must earn full points (on 20
reruns with other seeds where the battery is random), most caught variants must
be diagnosed by name, and grading twice gives byte-identical gradebooks.
"""
from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

import reference
from autograder import spec
from autograder.audit import audit, format_table, rule_coverage, with_seeds
from autograder.cases import batteries
from autograder.sample import make_class

RANDOM = [fn for fn in reference.__all__ if fn != "TOPICS"
          and "rng" in inspect.signature(getattr(reference, fn)).parameters]


@pytest.mark.parametrize("name", spec.available())
def test_wrong_variants_are_caught_and_correct_ones_pass(name):
    """... and every rule the narrative states is covered: a mistake that breaks it
    alone is caught (``autograder.rules``)."""
    assignment = spec.load(name)
    rows = audit(assignment, jobs=2)
    coverage = rule_coverage(assignment, rows)
    assert coverage.stated and not coverage.uncovered, coverage.format()
    table = format_table(rows)
    for row in rows:
        assert row.wrong >= 4 and row.right >= 2, f"{row.problem} needs more variants\n{table}"
        assert row.caught == row.wrong, table
        assert row.passed == row.right, table
    caught = sum(r.caught for r in rows)
    assert sum(r.diagnosed for r in rows) >= 0.8 * caught, table


def test_correct_variants_of_random_functions_pass_on_20_seeds():
    """The statistical checks' false-failure rate, in practice: 0 in 20 seeds x variants."""
    assert {"dropout_forward", "init_he", "kfold", "minibatches"} <= set(RANDOM)
    points = {fn: 1.0 for fn in RANDOM}
    one = spec.Assignment("random", "random functions", points, spec.ASSIGNMENTS_DIR)
    rows = audit(one, jobs=2, wrong=False, seeds=range(1, 21))
    assert all(r.right >= 2 for r in rows)
    assert all(r.passed == r.right for r in rows), format_table(rows)


def test_every_random_battery_draws_again_with_each_seed():
    """What the 20-seed audit runs: for each seed, again every case that seed may change."""
    registry = batteries()
    for fn in RANDOM:
        cases = with_seeds(registry[fn], range(1, 21))
        again = [c for c in cases if c.name.endswith("[seed 20]")]
        assert again, f"{fn}: no case depends on the statistical seed"
        assert len(cases) == len(registry[fn]()) + 20 * len(again)


def test_a_seeded_check_sees_its_seed_at_run_time(monkeypatch):
    """A custom check that draws while it runs reads the seed its copy was made for."""
    from autograder.cases import Case
    from autograder.problems._kit import statistical_seed
    seen = []
    probe = Case("probe", "draws", kind="custom",
                 check=lambda student, case: seen.append(statistical_seed("x")))
    monkeypatch.delenv("AUTOGRADER_SEED", raising=False)
    cases = with_seeds(lambda: [probe], [7])
    for case in cases:
        case.check(None, case)
    monkeypatch.setenv("AUTOGRADER_SEED", "7")
    assert seen[1] == statistical_seed("x") != seen[0]


def test_a_different_seed_changes_the_statistical_draws(monkeypatch):
    from autograder.problems._kit import statistical_seed
    first = statistical_seed("kfold")
    monkeypatch.setenv("AUTOGRADER_SEED", "7")
    assert statistical_seed("kfold") != first


def test_grading_twice_gives_byte_identical_gradebooks(tmp_path):
    """Across PYTHONHASHSEED and BLAS thread counts."""
    assignment = spec.load("ps4")
    make_class(assignment, tmp_path / "class")
    books = []
    for k, threads in ((1, "1"), (2, "2")):
        out = tmp_path / f"out{k}"
        env = {**os.environ, "PYTHONHASHSEED": str(k), "OPENBLAS_NUM_THREADS": threads,
               "OMP_NUM_THREADS": threads}
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "ps4",
                               str(tmp_path / "class"), "--out", str(out), "--timeout", "3",
                               "--load-timeout", "8"], env=env, capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        books.append((out / "gradebook.csv").read_bytes())
    rows = [set(book.decode().splitlines()) for book in books]
    assert books[0] == books[1], ("rows that differ (a call near its --timeout on a busy "
                                  f"machine?): {sorted(rows[0] ^ rows[1])}")
    assert books[0].count(b"\n") == 1 + len(list((tmp_path / "class").iterdir()))
