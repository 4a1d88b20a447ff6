"""The isolation policy of a sandbox worker: what bounds untrusted code.

:mod:`sandbox` runs the worker and talks to it; this module decides and sets up
everything that confines it, and undoes it afterwards.

Isolation modes, chosen by :func:`isolation_mode`:

``bwrap``       root available: the worker gets a leased uid of its own (a real
                uid, dropped by ``setpriv``, so ``RLIMIT_NPROC`` holds),
                a cgroup that bounds the sum of its processes (memory, pids,
                CPU), a size- and inode-limited tmpfs as its scratch dir, and a
                user namespace in which no further namespace can be made.
``bwrap-user``  not root: bubblewrap through a user namespace, same uid, no
                cgroup, scratch on disk; a warning says so.
``uid``         root, but bubblewrap missing or unable to make namespaces (a
                Docker container such as Gradescope's): a plain subprocess that
                drops to a leased uid of its own, with rlimits, and the cgroup and
                tmpfs where the container allows them.  It reads what any user
                may read, so the grader's files must be private (the Gradescope
                ``setup.sh`` sees to it); a warning says so.
``rlimits``     no bubblewrap and not root: a plain subprocess with rlimits, and a warning.

What a worker holds in ``bwrap`` mode is named after its uid and lives in fixed
root-owned places, so that a dead grader's leftovers are found and removed at
the next start (:func:`sweep_leftovers`)::

    /run/autograder/uids/<uid>                      the lease (an flock)
    /run/autograder/workers/<uid>/output.log        what the worker printed
    /run/autograder/workers/<uid>/scratch/          its tmpfs, bound at /sandbox/scratch
    <cgroup mount>/<the grader's cgroup>/autograder/<uid>/    its cgroup, per hierarchy

Worker cgroups nest under the grader's own cgroup, so that a limit placed on the
grader (a systemd slice, a container) still covers its workers; on cgroup v2, where
a cgroup with processes cannot hand controllers down, they go to the top instead
(:func:`usable`).  A dead grader's cgroups are found by the next grader started in
the same cgroup.
"""
from __future__ import annotations

import ctypes
import dataclasses
import errno
import fcntl
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

WORKER_DIR = Path(__file__).resolve().parent / "worker"
UID_BASE, UID_COUNT = 62000, 512
ROOT_STATE_DIR = Path("/run/autograder")
CONTROLLERS = ("memory", "pids", "cpu")
MB = 2**20

_libc = ctypes.CDLL(None, use_errno=True)
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MNT_DETACH = 2, 4, 8, 2
_PR_SET_PDEATHSIG = 1


class SandboxWarning(UserWarning):
    """Student code runs with weaker isolation than bubblewrap gives."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one worker.

    Attributes
    ----------
    call_timeout : float
        Wall-clock seconds for one call.
    load_timeout : float
        Wall-clock seconds for loading the submission, restarts for slow cells included.
    cell_timeout : float
        Wall-clock seconds for one notebook cell (or top-level statement of a ``.py``).
    memory_mb : int
        Memory of the whole worker: the sum of its processes and its scratch
        tmpfs (cgroup), and the address space of each process (``RLIMIT_AS``).
    nproc : int
        Processes (and threads) of the whole worker (cgroup ``pids.max``), and
        of its uid (``RLIMIT_NPROC``).
    fsize_mb : int
        Largest file the worker may write, its stdout included.
    cpu_s : int
        CPU seconds of each process (``RLIMIT_CPU``), a backstop.
    scratch_mb : int
        Size of the scratch tmpfs.
    scratch_inodes : int
        Files and folders the scratch tmpfs may hold.
    cpu_cores : float
        CPU time of the whole worker, in cores (cgroup quota).
    cpu_weight : int
        Its share of a busy CPU against other cgroups, on cgroup v2's scale
        (1-10000, default 100; ``cpu.shares`` = weight * 1024 / 100 on v1).
    """

    call_timeout: float = 10.0
    load_timeout: float = 120.0
    cell_timeout: float = 20.0
    memory_mb: int = 2048
    nproc: int = 64
    fsize_mb: int = 16
    cpu_s: int = 600
    scratch_mb: int = 256
    scratch_inodes: int = 4096
    cpu_cores: float = 1.0
    cpu_weight: int = 100


@functools.lru_cache(maxsize=None)
def warn_once(message: str) -> None:
    """Issue ``message`` as a :class:`SandboxWarning`, once per process."""
    warnings.warn(message, SandboxWarning, stacklevel=3)


# ---------------------------------------------------------------- mode and bubblewrap

@functools.lru_cache(maxsize=None)
def isolation_mode() -> str:
    """Return the strongest isolation that works here (see the module doc).

    ``AUTOGRADER_ISOLATION=rlimits`` forces the weakest mode, for debugging;
    ``AUTOGRADER_ISOLATION=uid`` forces ``uid`` (as root), as in a container
    where bubblewrap cannot make namespaces.
    """
    forced = os.environ.get("AUTOGRADER_ISOLATION")
    if forced == "rlimits":
        warn_once("AUTOGRADER_ISOLATION=rlimits: student code runs without bubblewrap")
        return "rlimits"
    if forced == "uid":
        return _without_bwrap("AUTOGRADER_ISOLATION=uid")
    if shutil.which("bwrap") is None:
        return _without_bwrap("bubblewrap (bwrap) is not installed (apt-get install bubblewrap)")
    mode = "bwrap" if os.geteuid() == 0 and shutil.which("setpriv") else "bwrap-user"
    probe = subprocess.run(bwrap_argv(mode, 65534, Path("/"), ["/bin/true"]),
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        return _without_bwrap(f"bubblewrap does not work here "
                              f"({probe.stderr.decode()[:200].strip()})")
    if mode == "bwrap-user":
        warn_once("not root: no cgroup per worker and no tmpfs scratch dir, so a submission's "
                  "memory and processes are bounded per process only, and its files by the "
                  "host's disk; grade as root for the full sandbox")
    return mode


def _without_bwrap(reason: str) -> str:
    """The mode to use without bubblewrap, ``reason`` being why: ``uid`` as root where an
    unprivileged uid can run the worker, else ``rlimits``; with a warning that says what
    is lost."""
    cannot = uid_cannot_run() if os.geteuid() == 0 else "not root"
    if not cannot:
        warn_once(f"{reason}: student code runs without bubblewrap, as an unprivileged uid "
                  "of its own with rlimits (isolation mode 'uid'); it can read any file that "
                  "every user may read, so keep the grader's own files private")
        return "uid"
    warn_once(f"{reason}; an unprivileged uid cannot be used ({cannot}): student code runs "
              "in a plain subprocess with rlimits only, and can read this machine's files")
    return "rlimits"


def uid_cannot_run() -> str:
    """Why an unprivileged uid cannot run the worker here (Python, or the worker's code,
    out of its reach), or "" if it can.  Tried as uid 65534, as root."""
    python, serve = os.path.abspath(sys.executable), WORKER_DIR / "serve.py"
    try:
        probe = subprocess.run([python, "-I", "-S", "-c", f"open({str(serve)!r}).close()"],
                               capture_output=True, text=True, timeout=30, cwd="/",
                               preexec_fn=lambda: drop_uid(65534))
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{python}: {exc}"[:200]
    return "" if probe.returncode == 0 else (probe.stderr.strip().splitlines() or ["?"])[-1][:200]


#: The modes whose worker runs as a leased uid of its own, in a :class:`WorkerSlot`.
LEASED = ("bwrap", "uid")


@functools.lru_cache(maxsize=None)
def userns_flags() -> tuple[str, ...]:
    """bubblewrap options that forbid new namespaces inside (``--disable-userns``).

    Tried once, as the unprivileged uid the worker will be; empty, with a
    warning, where they fail (bubblewrap older than 0.8, or unprivileged user
    namespaces switched off).
    """
    flags = ("--unshare-user", "--disable-userns")
    probe = subprocess.run(["bwrap", *flags, "--ro-bind", "/", "/", "/bin/true"],
                           capture_output=True, text=True, timeout=30,
                           preexec_fn=(lambda: drop_uid(65534)) if os.geteuid() == 0 else None)
    if probe.returncode == 0:
        return flags
    warn_once(f"bubblewrap cannot forbid user namespaces here ({probe.stderr[:200].strip()}; "
              "it needs bubblewrap 0.8+ and unprivileged user namespaces): student code can "
              "make namespaces inside the sandbox, and mount a tmpfs no limit counts")
    return ()


def mount_points() -> list[Path]:
    """Read-only paths the worker needs: the Python install and its environment."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(p for p in paths if not str(p).startswith("/usr"))


def bwrap_argv(mode: str, uid: int | None, scratch: Path, command: list[str]) -> list[str]:
    """The bubblewrap command line that runs ``command`` with ``scratch`` at /sandbox/scratch.

    No network, a read-only system, an empty environment but for
    :func:`worker_env`, and a user namespace of its own in which no further
    namespace can be made.  In ``bwrap`` mode bubblewrap runs as root and
    ``setpriv`` drops to ``uid``; a second, unprivileged bubblewrap then makes
    that user namespace (the root one cannot: the uid it maps would be root).
    """
    block = userns_flags()
    argv = ["bwrap", *(block if mode != "bwrap" else ()),
            "--unshare-net", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    made = {Path("/"), Path("/usr"), Path("/tmp"), Path("/etc"), Path("/proc"), Path("/dev")}
    for target in mount_points() + [Path("/sandbox/worker")]:
        for parent in reversed(target.parents):  # bwrap would make them 0700
            if parent not in made:
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        made.add(target)
        if target != Path("/sandbox/worker"):
            argv += ["--ro-bind", str(target), str(target)]
    argv += ["--ro-bind", str(WORKER_DIR), "/sandbox/worker",
             "--bind", str(scratch), "/sandbox/scratch", "--chdir", "/sandbox/scratch",
             "--clearenv"]
    for key, value in worker_env().items():
        argv += ["--setenv", key, value]
    argv.append("--")
    if mode == "bwrap":
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all"]
        if block:
            # the worker is pid 1 of a pid namespace and session of its own, so that
            # this bwrap, of the same uid, is out of reach of its signals
            argv += ["bwrap", *block, "--unshare-pid", "--as-pid-1", "--new-session",
                     "--bind", "/", "/", "--"]
    return argv + command


def worker_env() -> dict[str, str]:
    """The worker's whole environment."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/sandbox/scratch", "LANG": "C.UTF-8",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # set on some machines for correctness
        if key in os.environ:
            env[key] = os.environ[key]
    return env


# ---------------------------------------------------------------- in the child, before exec

def set_rlimits(limits: Limits, nproc: bool) -> None:
    """Set the per-process rlimits of ``limits``; ``RLIMIT_NPROC`` too when ``nproc``."""
    for res, value in ((resource.RLIMIT_AS, limits.memory_mb * MB),
                       (resource.RLIMIT_FSIZE, limits.fsize_mb * MB),
                       (resource.RLIMIT_CPU, limits.cpu_s),
                       (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(res, (value, value))
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))


def drop_uid(uid: int) -> None:
    """Become ``uid`` (real, effective and saved; group too; no supplementary groups)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def die_with_parent() -> None:
    """Get SIGKILL when the grader dies (a spare worker dies with us)."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (a worker's strays that left its group).

    A child that becomes ``uid`` sends SIGKILL to -1: every process it may
    signal, i.e. exactly that uid's, except itself.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            drop_uid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- state: leases and worker dirs

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


# ---------------------------------------------------------------- cgroups

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
        self.cgroup: WorkerCgroup | None = None
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
            if hierarchies():
                try:
                    self.cgroup = WorkerCgroup(str(self.uid), limits)
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
    for h in hierarchies():
        remove_cgroup(h.base / str(uid))
    folder = state_dir() / "workers" / str(uid)
    unmount(folder / "scratch")
    shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def sweep_leftovers() -> None:
    """Once per process: remove what dead graders left (uids no live grader leases)."""
    names = set()
    for folder in [state_dir() / "workers"] + [h.base for h in hierarchies()]:
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
