"""``python -m reference.tour``: one line per lecture topic."""
import subprocess
import sys

import pytest

import reference
from reference.tour import tour_rows


@pytest.fixture(scope="module")
def rows():
    return tour_rows()


def test_one_row_per_topic_in_curriculum_order(rows):
    assert [topic for topic, _, _ in rows] == list(reference.TOPICS)
    for row in rows:
        assert len(row) == 3 and all(isinstance(cell, str) and cell for cell in row)


def test_key_figures(rows):
    values = {topic: value for topic, _, value in rows}
    assert values["loss"].startswith("0.6931")          # J at y_hat = 1/2 is log 2
    assert "setosa-virginica 1.00" in values["neuron"]  # a separable pair


def test_module_runs_and_prints_one_line_per_topic():
    out = subprocess.run([sys.executable, "-W", "error", "-m", "reference.tour"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["topic", "what", "value"]
    assert [line.split()[0] for line in lines[1:]] == list(reference.TOPICS)
