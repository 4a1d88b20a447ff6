"""The full hostile-class soak: 100 submissions over ps2 and ps4, 20 of them hostile.

The same soak as ``tests/test_soak.py`` (which grades 30 in the suite), at full
size: 40 honest and 10 hostile submissions per assignment, graded with
``autograder grade ... --jobs 2`` inside an outer memory cgroup.  It asserts
every promise of the test and prints the numbers: the honest-only time, the
whole class's time, the grader's peak memory and each hostile row.

    sudo .venv/bin/python bench/soak.py [--honest 40] [--keep] [--engine DIR] [--wall S]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--honest", type=int, default=40,
                        help="honest submissions per assignment (default: %(default)s)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the submissions and reports (the folder is printed)")
    parser.add_argument("--engine", type=Path, default=test_soak.ENGINE,
                        help="grade with the checkout at this folder, e.g. an older commit's "
                             "(default: this one)")
    parser.add_argument("--wall", type=float, default=test_soak.RUN_WALL,
                        help="seconds before a hung grader is killed (default: %(default)s)")
    args = parser.parse_args()
    test_soak.ENGINE, test_soak.RUN_WALL = args.engine.resolve(), args.wall
    result, tmp = test_soak.Soak(), Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        test_soak.soak(tmp, honest_per_assignment=args.honest, full=True, result=result)
    except test_soak.pytest.skip.Exception as exc:
        print(f"soak: skipped: {exc}", file=sys.stderr)
        return 2
    finally:
        if result.whole:
            print(result.numbers())
        if args.keep:
            print(f"soak: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
