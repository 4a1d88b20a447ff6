"""What one sandbox worker holds, and how it is given back: a uid lease, its folder
with a tmpfs scratch dir, and its cgroup (:mod:`cgroups`).

What a worker holds in ``bwrap`` mode is named after its uid and lives in fixed
root-owned places, so that a dead grader's leftovers are found and removed at
the next start (:func:`sweep_leftovers`)::

    /run/autograder/uids/<uid>                      the lease (an flock)
    /run/autograder/workers/<uid>/output.log        what the worker printed
    /run/autograder/workers/<uid>/scratch/          its tmpfs, bound at /sandbox/scratch
    <cgroup mount>/<the grader's cgroup>/autograder/<uid>/    its cgroup, per hierarchy
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import shutil
import tempfile
from pathlib import Path

from . import cgroups
from .isolation import ROOT_STATE_DIR, UID_BASE, UID_COUNT, Limits, kill_uid, warn_once

_libc = ctypes.CDLL(None, use_errno=True)
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MNT_DETACH = 2, 4, 8, 2


@functools.lru_cache(maxsize=None)
def state_dir() -> Path:
    """The fixed place of uid leases and worker dirs: ``/run/autograder`` when root.

    Not root, a per-user folder instead (and a warning), since another user
    could take a shared one.
    """
    if os.geteuid() == 0:
        root = ROOT_STATE_DIR
    else:
        base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        root = Path(base) / f"autograder-{os.geteuid()}"
        warn_once(f"not root: sandbox uid leases live in {root}, which only this user's "
                  "graders see")
    _private_dir(root, 0o755 if os.geteuid() == 0 else 0o700)
    _private_dir(root / "uids", 0o700)
    _private_dir(root / "workers", 0o711)  # a worker's uid passes through to its scratch
    return root


def _private_dir(path: Path, mode: int) -> None:
    """Make ``path`` a real folder of ours with ``mode``, or refuse to use it."""
    try:
        path.mkdir(mode=mode)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not os.path.isdir(path) or os.path.islink(path) or st.st_uid != os.geteuid():
        raise RuntimeError(f"{path} must be a folder owned by uid {os.geteuid()}; "
                           "remove it and grade again")
    os.chmod(path, mode)


class UidsBusy(RuntimeError):
    """No sandbox uid (or not the one asked for) is free."""


class UidLease:
    """An exclusive lease on one sandbox uid, held through an flock.

    Parameters
    ----------
    uid : int, optional
        The uid to lease; by default the first free one, starting at a place
        that depends on the process id.

    Raises
    ------
    UidsBusy
        Every candidate uid is leased by a live grader.
    """

    def __init__(self, uid: int | None = None):
        start = os.getpid() % UID_COUNT
        candidates = [uid] if uid is not None else [
            UID_BASE + (start + k) % UID_COUNT for k in range(UID_COUNT)]
        for candidate in candidates:
            fd = os.open(state_dir() / "uids" / str(candidate), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = candidate, fd
            return
        raise UidsBusy(f"sandbox uid {uid} is in use" if uid is not None
                       else f"all {UID_COUNT} sandbox uids are in use")

    def release(self) -> None:
        """Give the uid back."""
        os.close(self._fd)


# ---------------------------------------------------------------- scratch tmpfs

def mount_scratch(path: Path, uid: int, limits: Limits) -> None:
    """Mount a tmpfs at ``path``, owned by ``uid``, of ``scratch_mb`` and ``scratch_inodes``.

    Its pages count against the memory cgroup of the process that writes them.
    """
    options = (f"size={limits.scratch_mb}m,nr_inodes={limits.scratch_inodes},"
               f"mode=0700,uid={uid},gid={uid}")
    if _libc.mount(b"autograder", os.fsencode(path), b"tmpfs",
                   _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, options.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(path))


def unmount(path: Path) -> None:
    """Detach whatever is mounted at ``path`` (nothing if nothing is)."""
    while os.path.ismount(path):
        if _libc.umount2(os.fsencode(path), _MNT_DETACH) != 0:
            return


# ---------------------------------------------------------------- what one worker holds

class WorkerSlot:
    """What one ``bwrap`` worker holds: a uid lease, its folder and its cgroup.

    The folder (``state_dir()/workers/<uid>``) holds ``output.log``, out of the
    student's reach, and ``scratch/``, a tmpfs that bubblewrap binds at
    /sandbox/scratch.  Anything a dead grader left under that uid is removed
    first.

    Parameters
    ----------
    limits : Limits
        The worker's limits.
    """

    def __init__(self, limits: Limits):
        sweep_leftovers()
        self._lease = UidLease()
        self.uid = self._lease.uid
        self.dir = state_dir() / "workers" / str(self.uid)
        self.cgroup: cgroups.WorkerCgroup | None = None
        try:
            reset_uid(self.uid)
            _private_dir(self.dir, 0o711)
            (self.dir / "scratch").mkdir(mode=0o700)
            try:
                mount_scratch(self.dir / "scratch", self.uid, limits)
            except OSError as exc:
                warn_once(f"cannot mount a tmpfs for scratch dirs ({exc}): a submission's "
                          "files are bounded per file only, on the host's disk")
            os.chown(self.dir / "scratch", self.uid, self.uid)
            if cgroups.hierarchies():
                try:
                    self.cgroup = cgroups.WorkerCgroup(str(self.uid), limits)
                except OSError as exc:
                    warn_once(f"cannot make a cgroup per worker ({exc}): memory and "
                              "processes are bounded per process only (rlimits)")
        except BaseException:
            self.release()
            raise

    def enter(self) -> None:
        """In the worker's child, before exec: join the cgroup."""
        if self.cgroup is not None:
            self.cgroup.join()

    def kill(self) -> None:
        """Kill every process of the worker: its cgroup's, or else its uid's."""
        if self.cgroup is None or not self.cgroup.kill():
            kill_uid(self.uid)

    def release(self) -> None:
        """Remove the cgroup and the folder, and give the uid back."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        unmount(self.dir / "scratch")
        shutil.rmtree(self.dir, ignore_errors=True)
        self._lease.release()


def reset_uid(uid: int) -> None:
    """Remove what a worker of ``uid`` may have left: its cgroups, scratch mount and folder."""
    for h in cgroups.hierarchies():
        cgroups.remove_cgroup(h.base / str(uid))
    folder = state_dir() / "workers" / str(uid)
    unmount(folder / "scratch")
    shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def sweep_leftovers() -> None:
    """Once per process: remove what dead graders left (uids no live grader leases)."""
    names = set()
    for folder in [state_dir() / "workers"] + [h.base for h in cgroups.hierarchies()]:
        try:
            names.update(int(p.name) for p in folder.iterdir() if p.name.isdigit())
        except OSError:
            pass
    for uid in sorted(n for n in names if UID_BASE <= n < UID_BASE + UID_COUNT):
        try:
            lease = UidLease(uid)
        except UidsBusy:
            continue  # a live grader's worker
        try:
            reset_uid(uid)
        finally:
            lease.release()
