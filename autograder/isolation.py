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

What a worker holds (its uid lease, scratch dir and cgroup) is :mod:`slots`' and
:mod:`cgroups`' part.
"""
from __future__ import annotations

import ctypes
import dataclasses
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

WORKER_DIR = Path(__file__).resolve().parent / "worker"
UID_BASE, UID_COUNT = 62000, 512
ROOT_STATE_DIR = Path("/run/autograder")
CONTROLLERS = ("memory", "pids", "cpu")
MB = 2**20

_libc = ctypes.CDLL(None, use_errno=True)
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
