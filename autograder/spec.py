"""Assignment specs: which functions an assignment grades, and their points.

An instructor edits ``assignments/<name>/assignment.toml``::

    title = "A neuron"

    [points]            # function -> points, in the order students meet them
    sigmoid = 2
    bce_cost = 2

    [grading]           # optional: seconds per notebook cell, and for the whole load
    cell_timeout = 20
    load_timeout = 120
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from .cases import has_batteries, known_problems

ASSIGNMENTS_DIR = Path(os.environ.get("AUTOGRADER_ASSIGNMENTS",
                                      Path(__file__).resolve().parent.parent / "assignments"))


#: The keys of an assignment's optional ``[grading]`` table: loading budgets, in seconds.
GRADING_KEYS = ("cell_timeout", "load_timeout")


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
    """

    name: str
    title: str
    points: dict
    folder: Path
    timeouts: dict = dataclasses.field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return float(sum(self.points.values()))


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
    return Assignment(folder.name, str(data.get("title", folder.name)),
                      {k: float(v) for k, v in points.items()}, folder,
                      _timeouts(data.get("grading", {}), path))


def _timeouts(grading, path: Path) -> dict:
    """The ``[grading]`` table's budgets, checked: positive, finite numbers of seconds."""
    if not isinstance(grading, dict):
        raise SpecError(f"{path}: [grading] must be a table, got {grading!r}")
    for key, value in grading.items():
        if key not in GRADING_KEYS:
            raise SpecError(f"{path}: unknown key {key!r} in [grading]; "
                            f"choose from {', '.join(GRADING_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0 < value < float("inf"):
            raise SpecError(f"{path}: [grading] {key} must be a positive number of seconds, "
                            f"got {value!r}")
    if grading.get("cell_timeout", 0) > grading.get("load_timeout", float("inf")):
        raise SpecError(f"{path}: [grading] cell_timeout ({grading['cell_timeout']!r}) must not "
                        f"exceed load_timeout ({grading['load_timeout']!r})")
    return {key: float(value) for key, value in grading.items()}
