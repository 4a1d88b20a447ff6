"""The isolation policy on its own: the bubblewrap command line, where cgroups live,
what is written to them (against a fake cgroup v2 tree, and the real v1/v2 one here),
and the warnings where a bound is missing."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from autograder import cgroups, isolation, sandbox, slots
from autograder.cgroups import Hierarchy
from autograder.isolation import Limits

ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="cgroups and tmpfs mounts need root")


# ---------------------------------------------------------------- the bubblewrap command line

def _after(argv: list[str], *words: str) -> int:
    """Index of the first place ``words`` occur in a row in ``argv``."""
    n = len(words)
    return next(i for i in range(len(argv)) if tuple(argv[i:i + n]) == words)


def test_bwrap_mode_drops_the_uid_then_blocks_user_namespaces(monkeypatch):
    monkeypatch.setattr(isolation, "userns_flags", lambda: ("--unshare-user", "--disable-userns"))
    argv = isolation.bwrap_argv("bwrap", 62001, Path("/run/x/scratch"), ["python", "serve.py"])
    setpriv = _after(argv, "setpriv", "--reuid=62001", "--regid=62001")
    inner = _after(argv, "bwrap", "--unshare-user", "--disable-userns")
    assert {"--unshare-pid", "--as-pid-1", "--new-session"} <= set(argv[inner:])  # out of reach
    assert argv[0] == "bwrap" and "--disable-userns" not in argv[:setpriv]  # the root bwrap cannot
    assert setpriv < inner < _after(argv, "python", "serve.py")
    assert {"--unshare-net", "--unshare-pid", "--clearenv"} <= set(argv[:setpriv])
    assert _after(argv, "--bind", "/run/x/scratch", "/sandbox/scratch") < setpriv


def test_bwrap_user_mode_blocks_user_namespaces_in_its_own_bwrap(monkeypatch):
    monkeypatch.setattr(isolation, "userns_flags", lambda: ("--unshare-user", "--disable-userns"))
    argv = isolation.bwrap_argv("bwrap-user", None, Path("/s"), ["python"])
    assert argv[:3] == ["bwrap", "--unshare-user", "--disable-userns"]
    assert "setpriv" not in argv and argv.count("bwrap") == 1 and argv[-2:] == ["--", "python"]


def test_without_disable_userns_there_is_no_inner_bwrap(monkeypatch):
    monkeypatch.setattr(isolation, "userns_flags", lambda: ())
    argv = isolation.bwrap_argv("bwrap", 62001, Path("/s"), ["python"])
    assert argv.count("bwrap") == 1 and argv[argv.index("setpriv"):][-1] == "python"


def test_an_old_bubblewrap_is_reported(monkeypatch):
    """Where --disable-userns fails: no flags, and a SandboxWarning saying why."""
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 1, stdout="", stderr="bwrap: Unknown option --disable-userns\n"))
    isolation.warn_once.cache_clear()
    with pytest.warns(isolation.SandboxWarning, match="Unknown option --disable-userns"):
        assert isolation.userns_flags.__wrapped__() == ()


def test_this_bubblewrap_blocks_user_namespaces():
    if sandbox.isolation_mode() == "rlimits":
        pytest.skip("no bubblewrap here")
    assert "--disable-userns" in isolation.userns_flags()


# ---------------------------------------------------------------- where cgroups live

HYBRID = """\
30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:11 - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory
35 30 0:31 / /sys/fs/cgroup/pids rw,nosuid shared:13 - cgroup cgroup rw,pids
36 30 0:32 / /sys/fs/cgroup/freezer rw,nosuid shared:14 - cgroup cgroup rw,freezer
"""
HYBRID_OWN = "5:pids:/user.slice\n4:memory:/grader\n3:cpu,cpuacct:/\n2:freezer:/\n0::/user.slice\n"


def _v2_tree(tmp_path: Path, controllers: str, own: str = "/") -> tuple[str, str]:
    """A fake cgroup2 mount at ``tmp_path``: its mountinfo line and /proc/self/cgroup text."""
    (tmp_path / own.strip("/")).mkdir(parents=True, exist_ok=True)
    (tmp_path / "cgroup.controllers").write_text(controllers + "\n")
    return f"40 30 0:40 / {tmp_path} rw,nosuid - cgroup2 cgroup2 rw\n", f"0::{own}\n"


def test_v1_hierarchies_nest_under_the_graders_own_cgroups(tmp_path):
    _v2_tree(tmp_path, "hugetlb")  # the hybrid layout's cgroup2 carries none of ours
    mountinfo = HYBRID.replace("/sys/fs/cgroup/unified", str(tmp_path))
    found = cgroups.find_hierarchies(mountinfo, HYBRID_OWN)
    assert sorted(found, key=lambda h: h.controllers) == [
        Hierarchy(1, Path("/sys/fs/cgroup/cpu,cpuacct/autograder"), ("cpu",),
                  Path("/sys/fs/cgroup/cpu,cpuacct")),
        Hierarchy(1, Path("/sys/fs/cgroup/memory/grader/autograder"), ("memory",),
                  Path("/sys/fs/cgroup/memory")),
        Hierarchy(1, Path("/sys/fs/cgroup/pids/user.slice/autograder"), ("pids",),
                  Path("/sys/fs/cgroup/pids"))]


def test_v2_is_preferred_and_nests_under_the_graders_cgroup(tmp_path):
    line, own = _v2_tree(tmp_path, "cpuset cpu io memory hugetlb pids", "/grading.slice")
    found = cgroups.find_hierarchies(line, own)
    assert found == [Hierarchy(2, tmp_path / "grading.slice" / "autograder",
                               ("memory", "pids", "cpu"), tmp_path)]


def test_a_controller_found_nowhere_is_left_out_and_reported(tmp_path, monkeypatch):
    line, own = _v2_tree(tmp_path, "cpu io")
    assert cgroups.find_hierarchies(line, own) == [
        Hierarchy(2, tmp_path / "autograder", ("cpu",), tmp_path)]
    monkeypatch.setattr(cgroups, "find_hierarchies", lambda *a: [])
    isolation.warn_once.cache_clear()
    with pytest.warns(isolation.SandboxWarning, match="no cgroup controller for memory, pids, cpu"):
        assert cgroups.hierarchies.__wrapped__() == ()


# ---------------------------------------------------------------- what is written

def test_settings_on_each_version():
    lim = Limits(memory_mb=1024, nproc=32, cpu_cores=0.5, cpu_weight=50)
    v1 = {f: v for f, v, _ in cgroups.cgroup_settings(1, ("memory", "pids", "cpu"), lim)}
    v2 = {f: v for f, v, _ in cgroups.cgroup_settings(2, ("memory", "pids", "cpu"), lim)}
    assert v1 == {"memory.limit_in_bytes": str(2**30), "memory.memsw.limit_in_bytes": str(2**30),
                  "pids.max": "32", "cpu.shares": "512", "cpu.cfs_period_us": "100000",
                  "cpu.cfs_quota_us": "50000"}
    assert v2 == {"memory.max": str(2**30), "memory.swap.max": "0", "pids.max": "32",
                  "cpu.weight": "50", "cpu.max": "50000 100000"}
    files = [f for f, _, _ in cgroups.cgroup_settings(1, ("memory",), lim)]
    assert files == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]  # memsw >= limit


def test_a_worker_cgroup_on_a_fake_v2_tree(tmp_path):
    line, own = _v2_tree(tmp_path, "cpu memory pids", "/grader")
    found = cgroups.find_hierarchies(line, own)
    cg = cgroups.WorkerCgroup("62007", Limits(memory_mb=512, nproc=16), found)
    path = tmp_path / "grader" / "autograder" / "62007"
    assert cg.dirs == [path]
    for control in (tmp_path / "grader", tmp_path / "grader" / "autograder"):  # handed down
        assert (control / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (path / "memory.max").read_text() == str(512 * 2**20)
    assert (path / "pids.max").read_text() == "16"
    assert (path / "cpu.max").read_text() == "100000 100000"
    assert not (path / "memory.swap.max").exists()  # optional, and this kernel has none
    cg.join()
    assert (path / "cgroup.procs").read_text() == "0"  # "0" moves the writer itself
    (path / "cgroup.procs").write_text("")  # the kernel's view once empty
    (path / "cgroup.kill").write_text("")   # Linux 5.14+
    assert cg.kill() and (path / "cgroup.kill").read_text() == "1"


def test_on_v2_a_busy_graders_cgroup_sends_workers_to_the_top(tmp_path):
    """A cgroup with processes cannot hand controllers down (EBUSY); its top can."""
    line, own = _v2_tree(tmp_path, "cpu memory pids", "/user.slice/session-1.scope")
    (tmp_path / "user.slice" / "session-1.scope" / "cgroup.subtree_control").mkdir()  # unwritable
    [h] = cgroups.usable(cgroups.find_hierarchies(line, own))
    assert h.base == tmp_path / "autograder"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"


@ROOT
def test_a_real_worker_cgroup_bounds_kills_and_goes():
    """On this machine's hierarchies: limits read back, a joined process is killed, dirs go."""
    if not cgroups.hierarchies():
        pytest.skip("no cgroup hierarchy here")
    limits = Limits(memory_mb=300, nproc=20)
    cg = cgroups.WorkerCgroup("test-isolation", limits)
    try:
        for h, path in zip(cgroups.hierarchies(), cg.dirs):
            for file, value, required in cgroups.cgroup_settings(h.version, h.controllers, limits):
                if required:
                    assert (path / file).read_text().split()[0] == value.split()[0], file
        sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=cg.join)
        assert str(sleeper.pid) in (cg.dirs[0] / "cgroup.procs").read_text()
        assert cg.kill()
        assert sleeper.wait(timeout=5) == -9
    finally:
        cg.remove()
    assert not any(p.exists() for p in cg.dirs)


# ---------------------------------------------------------------- the scratch tmpfs and state

@ROOT
def test_scratch_pages_count_against_the_worker_memory(tmp_path):
    """A scratch tmpfs larger than the memory limit fills only as far as the cgroup allows."""
    if sandbox.isolation_mode() != "bwrap" or not cgroups.hierarchies():
        pytest.skip("needs the bwrap mode with cgroups")
    from test_worker import running
    limits = Limits(call_timeout=20, load_timeout=10, memory_mb=600, scratch_mb=2048)
    fill = ("def fill(mb):\n    chunk, done = b'x' * 2**20, 0\n"
            "    try:\n        for k in range(mb // 16):\n"   # RLIMIT_FSIZE: 16 MiB a file
            "            with open(f'big{k}', 'wb') as fh:\n"
            "                for _ in range(16):\n                    fh.write(chunk)\n"
            "                    done += 1\n    except OSError:\n        pass\n    return done\n")
    with running(tmp_path, fill, limits=limits) as w:
        try:
            done = w.call("fill", 1000)
        except sandbox.WorkerFailure:  # killed by the OOM killer: bounded too
            done = 0
    assert done < 600


@ROOT
def test_uid_leases_live_in_a_root_owned_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    lease = slots.UidLease()
    try:
        lock = isolation.ROOT_STATE_DIR / "uids" / str(lease.uid)
        assert lock.exists() and slots.state_dir() == isolation.ROOT_STATE_DIR
        st = os.stat(lock.parent)
        assert st.st_uid == 0 and st.st_mode & 0o777 == 0o700
        with pytest.raises(slots.UidsBusy):
            slots.UidLease(lease.uid)
    finally:
        lease.release()


@ROOT
def test_without_cgroups_a_worker_still_runs(tmp_path, monkeypatch):
    if sandbox.isolation_mode() != "bwrap":
        pytest.skip("needs the bwrap mode")
    from test_worker import running
    monkeypatch.setattr(cgroups, "hierarchies", lambda: ())
    with running(tmp_path, "def f():\n    return 5\n") as w:
        assert w._lease.cgroup is None and w.call("f") == 5

