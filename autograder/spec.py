"""Assignment specs: which functions an assignment grades, and their points.

An instructor edits ``assignments/<name>/assignment.toml``::

    title = "A neuron"

    [points]            # function -> points, in the order students meet them
    sigmoid = 2
    bce_cost = 2

    [grading]           # optional
    cell_timeout = 20   # seconds per notebook cell
    load_timeout = 120  # seconds for the whole load
    robustness = 0.1    # each function's share of points for bad input, dtype and purity
    isolate_dependencies = true  # grade each function with trusted stand-ins for the
                                 # graded functions listed before it (see standins.py)
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from .cases import has_batteries, known_problems
from .results import DEFAULT_ROBUSTNESS, ProblemResult

ASSIGNMENTS_DIR = Path(os.environ.get("AUTOGRADER_ASSIGNMENTS",
                                      Path(__file__).resolve().parent.parent / "assignments"))


#: The keys of an assignment's optional ``[grading]`` table: loading budgets, in seconds,
#: and the robustness share.
TIMEOUT_KEYS = ("cell_timeout", "load_timeout")
GRADING_KEYS = (*TIMEOUT_KEYS, "robustness", "isolate_dependencies")


class SpecError(ValueError):
    """An assignment that does not exist or does not parse."""


@dataclasses.dataclass(frozen=True)
class Assignment:
    """One assignment.

    Attributes
    ----------
    name : str
        Its folder name, e.g. ``"ps1"``.
    title : str
    points : dict of str to float
        Graded function -> points, in order.
    folder : Path
    timeouts : dict of str to float, optional
        The ``[grading]`` table: ``cell_timeout`` and ``load_timeout``, where given.
    robustness : float, default=DEFAULT_ROBUSTNESS
        The ``[grading]`` table's ``robustness``, in [0, 1]: the share of each
        function's points that goes to its robustness cases (see
        :class:`autograder.results.ProblemResult`).
    standins : tuple of str, default=()
        The functions whose trusted stand-ins may replace the student's own in a
        failed case of a function listed after them (see :mod:`autograder.standins`),
        in order: every graded function with ``[grading] isolate_dependencies = true``,
        none without.
    """

    name: str
    title: str
    points: dict
    folder: Path
    timeouts: dict = dataclasses.field(default_factory=dict)
    robustness: float = DEFAULT_ROBUSTNESS
    standins: tuple = ()

    @property
    def max_points(self) -> float:
        return float(sum(self.points.values()))

    def problem_results(self) -> list[ProblemResult]:
        """A fresh, empty :class:`ProblemResult` per graded function, in order."""
        return [ProblemResult(name, pts, robustness=self.robustness)
                for name, pts in self.points.items()]


def available() -> list[str]:
    """Names of the assignments in :data:`ASSIGNMENTS_DIR`."""
    if not ASSIGNMENTS_DIR.is_dir():
        return []
    return sorted(p.name for p in ASSIGNMENTS_DIR.iterdir() if (p / "assignment.toml").is_file())


def load(name_or_path: str | os.PathLike) -> Assignment:
    """Load an assignment by name (``"ps1"``) or by folder path.

    Raises
    ------
    SpecError
        Unknown assignment, malformed TOML, a function with no battery, or a bad
        ``[grading]`` table.
    """
    folder = Path(name_or_path)
    if not (folder / "assignment.toml").is_file():
        folder = ASSIGNMENTS_DIR / str(name_or_path)
    path = folder / "assignment.toml"
    if not path.is_file():
        known = ", ".join(available()) or "none"
        raise SpecError(f"unknown assignment {str(name_or_path)!r}; known assignments: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    points = data.get("points")
    if not isinstance(points, dict) or not points:
        raise SpecError(f"{path}: needs a [points] table mapping each function to its points")
    # The student kit knows only the functions with public cases; the TA side
    # checked the whole list when the assignment was released.
    known = known_problems() if has_batteries() else None
    for fn, pts in points.items():
        if known is not None and fn not in known:
            raise SpecError(f"{path}: {fn!r} is not a gradable function; "
                            f"choose from {', '.join(sorted(known))}")
        if (isinstance(pts, bool) or not isinstance(pts, (int, float))
                or not 0 <= pts < float("inf")):
            raise SpecError(f"{path}: points for {fn!r} must be a number >= 0, got {pts!r}")
    grading = data.get("grading", {})
    return Assignment(folder.name, str(data.get("title", folder.name)),
                      {k: float(v) for k, v in points.items()}, folder,
                      _timeouts(grading, path), _robustness(grading, path),
                      tuple(points) if _isolate(grading, path) else ())


def _isolate(grading, path: Path) -> bool:
    """The ``[grading]`` table's ``isolate_dependencies``, checked: true or false."""
    value = grading.get("isolate_dependencies", False)
    if not isinstance(value, bool):
        raise SpecError(f"{path}: [grading] isolate_dependencies must be true or false, "
                        f"got {value!r}")
    return value


def _robustness(grading, path: Path) -> float:
    """The ``[grading]`` table's robustness share, checked: a number in [0, 1]."""
    value = grading.get("robustness", DEFAULT_ROBUSTNESS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise SpecError(f"{path}: [grading] robustness must be a number from 0 to 1 (the share "
                        f"of each function's points for robustness), got {value!r}")
    return float(value)


def _timeouts(grading, path: Path) -> dict:
    """The ``[grading]`` table's budgets, checked: positive, finite numbers of seconds."""
    if not isinstance(grading, dict):
        raise SpecError(f"{path}: [grading] must be a table, got {grading!r}")
    for key, value in grading.items():
        if key not in GRADING_KEYS:
            raise SpecError(f"{path}: unknown key {key!r} in [grading]; "
                            f"choose from {', '.join(GRADING_KEYS)}")
        if key in TIMEOUT_KEYS and (isinstance(value, bool) or not isinstance(
                value, (int, float)) or not 0 < value < float("inf")):
            raise SpecError(f"{path}: [grading] {key} must be a positive number of seconds, "
                            f"got {value!r}")
    if grading.get("cell_timeout", 0) > grading.get("load_timeout", float("inf")):
        raise SpecError(f"{path}: [grading] cell_timeout ({grading['cell_timeout']!r}) must not "
                        f"exceed load_timeout ({grading['load_timeout']!r})")
    return {key: float(value) for key, value in grading.items() if key in TIMEOUT_KEYS}
