"""The cgroups of sandbox workers: one per worker, in every hierarchy that has our controllers.

A worker's cgroup bounds the sum of its processes (memory, pids, CPU), where
rlimits bound each process alone.  Worker cgroups nest under the grader's own
cgroup, so that a limit placed on the grader (a systemd slice, a container) still
covers its workers; on cgroup v2, where a cgroup with processes cannot hand
controllers down, they go to the top instead (:func:`usable`).  A dead grader's
cgroups are found by the next grader started in the same cgroup
(:func:`slots.sweep_leftovers`).
"""
from __future__ import annotations

import dataclasses
import errno
import functools
import os
import signal
import time
from pathlib import Path

from .isolation import CONTROLLERS, MB, Limits, warn_once


@dataclasses.dataclass(frozen=True)
class Hierarchy:
    """One cgroup hierarchy that worker cgroups are made in.

    Attributes
    ----------
    version : int
        1 or 2.
    base : Path
        ``<mount>/<the grader's own cgroup>/autograder``.
    controllers : tuple of str
        Which of :data:`CONTROLLERS` it carries for us.
    mount : Path
        Where the hierarchy is mounted.
    """

    version: int
    base: Path
    controllers: tuple[str, ...]
    mount: Path


def find_hierarchies(mountinfo: str, own_cgroups: str) -> list[Hierarchy]:
    """Where each of :data:`CONTROLLERS` lives, preferring cgroup v2.

    Parameters
    ----------
    mountinfo : str
        The text of ``/proc/self/mountinfo``.
    own_cgroups : str
        The text of ``/proc/self/cgroup``.

    Returns
    -------
    list of Hierarchy
        At most one per controller; a controller found nowhere is left out.
    """
    own = {}  # controller name ("" for v2) -> the grader's cgroup path
    for line in own_cgroups.splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            own[name] = path
    v1, v2 = {}, None
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        fields, tail = fields.split(), tail.split()
        if len(tail) < 3 or len(fields) < 5:
            continue
        root, point, fstype, options = fields[3], Path(fields[4]), tail[0], tail[2].split(",")
        if fstype == "cgroup2" and "" in own and v2 is None:
            available = _read(point / "cgroup.controllers").split()
            v2 = (_nested(point, root, own[""]), [c for c in CONTROLLERS if c in available], point)
        elif fstype == "cgroup":
            for c in CONTROLLERS:
                if c in options and c in own:
                    v1.setdefault(c, (_nested(point, root, own[c]), point))
    found = []
    if v2 and v2[0] is not None and v2[1]:
        found.append(Hierarchy(2, v2[0], tuple(v2[1]), v2[2]))
    taken = set(v2[1]) if found else set()
    for base, point in dict.fromkeys(v1.values()):
        names = tuple(c for c in CONTROLLERS if v1[c][0] == base and c not in taken)
        if base is not None and names:
            found.append(Hierarchy(1, base, names, point))
    return found


def _nested(point: Path, mount_root: str, own: str) -> Path | None:
    """``<point>/<own, relative to the mount's root>/autograder``, or None if outside it."""
    rel = os.path.relpath(own, mount_root)
    return None if rel.startswith("..") else Path(os.path.normpath(point / rel / "autograder"))


def cgroup_settings(version: int, controllers, limits: Limits) -> list[tuple[str, str, bool]]:
    """The files that set ``limits`` on a worker cgroup: ``(file, value, required)``.

    In writing order; a file that is not required (swap accounting) is
    skipped where the kernel does not offer it.
    """
    mem, period = limits.memory_mb * MB, 100_000
    quota = max(1000, int(limits.cpu_cores * period))
    table = {
        1: {"memory": [("memory.limit_in_bytes", str(mem), True),
                       ("memory.memsw.limit_in_bytes", str(mem), False)],
            "pids": [("pids.max", str(limits.nproc), True)],
            "cpu": [("cpu.shares", str(max(2, limits.cpu_weight * 1024 // 100)), True),
                    ("cpu.cfs_period_us", str(period), True),
                    ("cpu.cfs_quota_us", str(quota), True)]},
        2: {"memory": [("memory.max", str(mem), True), ("memory.swap.max", "0", False)],
            "pids": [("pids.max", str(limits.nproc), True)],
            "cpu": [("cpu.weight", str(limits.cpu_weight), True),
                    ("cpu.max", f"{quota} {period}", True)]},
    }[version]
    return [entry for c in controllers for entry in table[c]]


@functools.lru_cache(maxsize=None)
def hierarchies() -> tuple[Hierarchy, ...]:
    """This machine's usable hierarchies for worker cgroups; warns once when some are missing."""
    try:
        found = find_hierarchies(Path("/proc/self/mountinfo").read_text(),
                                 Path("/proc/self/cgroup").read_text())
    except OSError:
        found = []
    found = usable(found)
    have = {c for h in found for c in h.controllers}
    missing = [c for c in CONTROLLERS if c not in have]
    if missing:
        warn_once(f"no cgroup controller for {', '.join(missing)}: the sandbox bounds "
                  "those per process only (rlimits), not for the worker as a whole")
    return tuple(found)


def usable(found) -> list[Hierarchy]:
    """The hierarchies whose base can be made, each moved to its mount's top if need be.

    On cgroup v2 a cgroup with processes cannot hand controllers down (the
    grader's own, e.g. a login session's scope): worker cgroups then go to
    ``<mount>/autograder``, outside the grader's cgroup.
    """
    out = []
    for h in found:
        for candidate in dict.fromkeys([h, dataclasses.replace(h, base=h.mount / "autograder")]):
            try:
                _prepare_base(candidate)
            except OSError:
                continue
            out.append(candidate)
            break
    return out


class WorkerCgroup:
    """The cgroup of one worker, in every hierarchy: it bounds the sum of its processes.

    Parameters
    ----------
    name : str
        The folder name under each hierarchy's base (the worker's uid).
    limits : Limits
        What to set.
    found : sequence of Hierarchy
        Where to make it.

    Raises
    ------
    OSError
        A cgroup could not be made or limited (it is removed again).
    """

    def __init__(self, name: str, limits: Limits, found=None):
        self.dirs: list[Path] = []
        found = hierarchies() if found is None else found
        try:
            for h in found:
                _prepare_base(h)
                path = h.base / name
                path.mkdir()
                self.dirs.append(path)
                for file, value, required in cgroup_settings(h.version, h.controllers, limits):
                    if required or (path / file).exists():
                        (path / file).write_text(value)
        except OSError:
            self.remove()
            raise

    def join(self) -> None:
        """Move the calling process into the cgroup (in the worker's child, before exec)."""
        for path in self.dirs:
            (path / "cgroup.procs").write_text("0")  # 0: the writer

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the cgroup; True once it is empty."""
        return all(kill_cgroup(path, timeout) for path in self.dirs)

    def remove(self) -> None:
        """Kill what is left and remove the cgroup's folders (a busy one is left to the sweep)."""
        for path in self.dirs:
            remove_cgroup(path)
        self.dirs = []


def _prepare_base(h: Hierarchy) -> None:
    """Make the base folder; on v2, hand our controllers down to it and to its children."""
    h.base.mkdir(exist_ok=True)
    if h.version == 2:
        enable = " ".join("+" + c for c in h.controllers)
        for path in (h.base.parent, h.base):
            control = path / "cgroup.subtree_control"
            if set(h.controllers) - set(_read(control).split()):
                control.write_text(enable)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def kill_cgroup(path: Path, timeout: float = 5.0) -> bool:
    """SIGKILL every process in the cgroup at ``path`` and wait until it is empty.

    ``cgroup.kill`` (v2, Linux 5.14+) does it at once; otherwise each listed
    process is killed, again until none is left (``pids.max`` bounds a fork loop).
    """
    if (path / "cgroup.kill").exists():
        (path / "cgroup.kill").write_text("1")
    deadline = time.monotonic() + timeout
    while True:
        pids = [int(p) for p in _read(path / "cgroup.procs").split() if int(p) > 0]
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.0005)


def remove_cgroup(path: Path) -> None:
    """Kill the cgroup's processes and remove its folder, if it exists."""
    if not path.is_dir():
        return
    kill_cgroup(path)
    for _ in range(200):  # a dying process leaves it a moment later
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return
            time.sleep(0.001)
