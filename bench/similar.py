"""How long ``autograder similar`` takes on 1,000 submissions of ps1 (target: under a minute).

    python bench/similar.py [N]

Writes a class of N (default 1,000) submissions with :func:`autograder.sample.similarity_class`
(10 disguised copies among them) into a temporary folder, then times :func:`autograder.similar.run`
on it, pages included, and says whether every planted copy was found.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from autograder import sample, similar, spec


def main(n: int = 1000) -> None:
    assignment = spec.load("ps1")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        planted = sample.similarity_class(assignment, Path(tmp) / "class", n=n, copies=10)
        made = time.perf_counter() - start
        start = time.perf_counter()
        pairs = similar.run(assignment, Path(tmp) / "class", Path(tmp) / "out")
        took = time.perf_counter() - start
    found = {frozenset((p.a.student, p.b.student)) for p in pairs}
    hits = sum(frozenset(p) in found for p in planted)
    print(f"similar: {n} submissions ({n * (n - 1) // 2:,} pairs) in {took:.1f} s "
          f"(class written in {made:.1f} s); {len(pairs)} pairs reported, "
          f"{hits}/{len(planted)} planted copies among them")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
