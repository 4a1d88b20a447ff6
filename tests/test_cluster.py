"""Grading on a Dask cluster (``autograder.cluster``): the same reports as a local run,
every row exactly once when a Dask worker dies, and a refusal where the engines differ.

A real class of 40 (honest, mistaken, broken and hostile, from ``sample.make_class``)
runs through the real sandbox, on a small assignment (four functions of ps1) so that
the three gradings stay within seconds on two cores.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import threading

import pytest

from autograder import cli, grade, report, sample, spec

distributed = pytest.importorskip("distributed")
cluster = pytest.importorskip("autograder.cluster")

NAME = "ps1small"
POINTS = {"sigmoid": 2, "bce_cost": 1, "neuron_forward": 2, "neuron_gradients": 3}
#: Hostile files whose only effect is a timeout: seconds each, and timing-dependent.
SLOW = ("malicious_hangs_at_import.py", "malicious_forks_forever.py")
#: Reports that must be byte-identical to a local run's; see the cluster module's docstring.
SAME = ("gradebook.csv", "summary.md", "feedback")


@pytest.fixture(scope="module")
def assignments(tmp_path_factory):
    """A folder of assignments holding ``ps1small``; Dask workers find it by name."""
    root = tmp_path_factory.mktemp("assignments")
    (root / NAME).mkdir()
    (root / NAME / "assignment.toml").write_text(
        'title = "A small neuron"\n\n[points]\n'
        + "".join(f"{fn} = {pts}\n" for fn, pts in POINTS.items()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTOGRADER_ASSIGNMENTS", str(root))  # read by the spawned workers
        yield root


@pytest.fixture(scope="module")
def assignment(assignments):
    return spec.load(assignments / NAME)


@pytest.fixture(scope="module")
def klass(assignment, tmp_path_factory):
    """40 submissions: two sample classes of different seeds, without the slow ones."""
    folder, parts = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("parts")
    for seed in (0, 1):
        for path in sample.make_class(assignment, parts / str(seed), seed=seed):
            if path.name not in SLOW:
                shutil.copy(path, folder / f"s{seed}_{path.name}")
    found = [(p.stem, p) for p in sorted(folder.iterdir())][:40]
    assert len(found) == 40
    return found


@pytest.fixture(scope="module")
def local(klass, assignment, tmp_path_factory):
    """The class graded locally (two processes), and its reports' folder."""
    results = grade.grade_all(klass, assignment, jobs=2)
    out = tmp_path_factory.mktemp("local")
    report.write_all(results, assignment, out)
    return results, out


@pytest.fixture(scope="module")
def dask_client(assignments):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local_cluster, \
            distributed.Client(local_cluster) as client:
        yield client


def _executor(client, assignment):
    description = cluster.check_workers(client, assignment)
    return cluster.DaskExecutor(client, assignment, description)


def _reports(out):
    """The files a cluster run must reproduce byte for byte, and the rest without timings."""
    same = {str(p.relative_to(out)): p.read_bytes() for name in SAME
            for p in ([out / name] if (out / name).is_file() else sorted((out / name).iterdir()))}
    results = {p.name: {k: v for k, v in json.loads(p.read_text()).items() if k != "execution_time"}
               for p in (out / "results").iterdir()}
    ta = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
          for line in (out / "ta" / "results.jsonl").read_text().splitlines()]
    return same, results, ta


def test_a_class_on_the_cluster_gets_the_local_reports_byte_for_byte(
        klass, assignment, local, dask_client, tmp_path):
    results = grade.grade_all(klass, assignment, executor=_executor(dask_client, assignment))
    report.write_all(results, assignment, tmp_path)
    same, gradescope, ta = _reports(tmp_path)
    want_same, want_gradescope, want_ta = _reports(local[1])
    assert len(same) == 2 + 2 * 40
    assert same == want_same
    assert gradescope == want_gradescope  # execution_time aside
    assert ta == want_ta  # seconds aside: the original paths, logs and outputs too
    statuses = {r.status for r in results}
    assert {"graded", "load-error"} <= statuses, statuses  # a real class, not all alike


def test_a_dask_worker_killed_mid_run_loses_no_row_and_counts_none_twice(
        klass, assignment, local, dask_client):
    few = klass[::3]  # 14 submissions: enough to kill a worker mid-run
    pids = dask_client.run(os.getpid)
    victim = pids[min(pids)]
    seen, killed = [], threading.Event()

    def progress(done, total, result):
        seen.append(result.student)
        if done == 4 and not killed.is_set():  # both workers are busy with the next ones
            os.kill(victim, signal.SIGKILL)
            killed.set()

    results = grade.grade_all(few, assignment, executor=_executor(dask_client, assignment),
                              progress=progress)
    assert killed.is_set()
    assert victim not in dask_client.run(os.getpid).values()  # it really died
    assert sorted(seen) == sorted(s for s, _ in few)  # each row once in the progress
    assert [r.student for r in results] == [s for s, _ in few]
    assert [(r.status, r.points, r.message) for r in results] == \
        [(r.status, r.points, r.message) for r in local[0][::3]]


def test_a_worker_with_another_battery_version_refuses(assignment, dask_client, tmp_path, klass):
    other = tmp_path / NAME
    other.mkdir()
    toml = (assignment.folder / "assignment.toml").read_text()
    (other / "assignment.toml").write_text(toml.replace("sigmoid = 2", "sigmoid = 3"))
    changed = spec.load(other)
    assert cluster.battery_version(changed) != cluster.battery_version(assignment)
    with pytest.raises(cluster.ClusterError, match="refuses to grade: its engine has battery "
                                                   "version [0-9a-f]{16} of ps1small, the TA's"):
        cluster.check_workers(dask_client, changed)
    # A worker that joins after the check refuses at each task: grade_all stops with it.
    pool = cluster.DaskExecutor(dask_client, changed)
    with pytest.raises(cluster.ClusterError, match="a Dask worker refused to grade"):
        grade.grade_all(klass[:2], changed, executor=pool)


def test_battery_version_follows_what_decides_a_grade(assignment, tmp_path):
    version = cluster.battery_version(assignment)
    assert version == cluster.battery_version(spec.load(assignment.folder))
    assert version != cluster.battery_version(spec.load("ps1"))


@pytest.mark.parametrize("scheduler, message", [
    ("local:0", "expected local:N with N >= 1"),
    ("local:two", "expected local:N with N >= 1"),
])
def test_a_bad_scheduler_is_one_line(scheduler, message, klass, capsys, tmp_path):
    folder = klass[0][1].parent
    code = cli.main(["grade", "ps1", str(folder), "--out", str(tmp_path), "--scheduler", scheduler])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_without_dask_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    with pytest.raises(cluster.ClusterError, match=r"pip install '\.\[cluster\]'"), \
            cluster.client("local:1"):
        pass


def test_an_unreachable_scheduler_is_one_line():
    with pytest.raises(cluster.ClusterError, match=r"^--scheduler tcp://127\.0\.0\.1:1: cannot "
                                                   r"reach a Dask scheduler with workers \("), \
            cluster.client("tcp://127.0.0.1:1", timeout=1):
        pass
