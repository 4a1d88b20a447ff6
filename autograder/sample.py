"""A sample class for the demo: honest, mistaken, broken and malicious submissions.

Generated, deterministically, from the reference (flattened), the library of
known mistakes and a few hostile snippets, so it always matches the current
assignment specs.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import flatten, mistakes  # noqa: F401  (mistakes: registers the variants)
from .cases import CORRECT, MISTAKES
from .classreport import calls
from .diagnosis import Mistake
from .spec import Assignment

HOSTILE = {
    "hangs_at_import": "while True:\n    pass\n",
    "exits_at_import": "import sys\nsys.exit('bye')\n",
}
HOSTILE_AFTER = {
    "forks_forever": "def {fn}(*args, **kwargs):\n    import os\n    while True:\n"
                     "        try:\n            os.fork()\n        except OSError:\n            pass\n",
    "patches_numpy": "import numpy, numpy.testing\nnumpy.allclose = lambda *a, **k: True\n"
                     "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                     "def {fn}(*args, **kwargs):\n    return 0.0\n",
    "reads_reference": "def {fn}(*args, **kwargs):\n    import reference\n"
                       "    return getattr(reference, '{fn}')(*args, **kwargs)\n",
}


def to_notebook(source: str) -> str:
    """Wrap Python source into a minimal notebook, one cell per top-level block."""
    blocks, current = [], []
    for line in source.splitlines(keepends=True):
        if line.startswith(("def ", "class ", "@")) and current and not current[-1].startswith("@"):
            blocks.append("".join(current))
            current = []
        current.append(line)
    blocks.append("".join(current))
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": b} for b in blocks if b.strip()]
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# My solutions"}, *cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1)


def planted(assignment: Assignment, seed: int = 0) -> dict[str, dict[str, Mistake]]:
    """The known mistakes that :func:`make_class` plants: ``{student: {function: mistake}}``.

    Student ``mistaken_k`` (k = 0..9) gets ``1 + k % 3`` of them, in distinct functions
    none of which calls another (:func:`classreport.calls`), so that each is the only
    wrong function on its call path and the class report can count it.
    """
    rng = np.random.default_rng(seed)
    fns = list(assignment.points)
    deps = calls(fns)
    wrong = [(fn, m) for fn in fns for m in MISTAKES.get(fn, [])]
    plants = {}
    for k in range(10):
        chosen: dict[str, Mistake] = {}
        for i in rng.permutation(len(wrong)):
            fn, m = wrong[i]
            if len(chosen) < 1 + k % 3 and not any(
                    fn == other or fn in deps[other] or other in deps[fn] for other in chosen):
                chosen[fn] = m
        plants[f"mistaken_{k:02d}"] = chosen
    return plants


def make_class(assignment: Assignment, folder: Path, seed: int = 0) -> list[Path]:
    """Write at least 20 submissions for ``assignment`` into ``folder``: the mistaken
    ones carry the mistakes of :func:`planted` (same ``seed``)."""
    folder.mkdir(parents=True, exist_ok=True)
    fns = list(assignment.points)
    ref = flatten.reference_source()
    files: dict[str, str] = {"correct_alice.py": ref, "correct_bob.py": ref}
    variants = [(fn, v) for fn in fns for v in CORRECT.get(fn, [])]
    files["correct_carol.py"] = ref + "".join(
        f"\n\n{flatten.function_source(v, fn)}\n" for fn, v in variants[:6])
    files["correct_dave.ipynb"] = to_notebook(ref)
    for k, (student, chosen) in enumerate(planted(assignment, seed).items()):
        body = ref + "".join(f"\n\n{flatten.function_source(m.fn, fn)}\n"
                             for fn, m in chosen.items())
        name = student + (".ipynb" if k % 4 == 3 else ".py")
        files[name] = to_notebook(body) if name.endswith(".ipynb") else body
    files["broken_syntax.py"] = ref + "\ndef oops(:\n    pass\n"
    files["broken_missing_function.py"] = ref + f"\ndel {fns[0]}\n"
    files["broken_untouched_stubs.py"] = flatten.stub_source(fns, assignment.title)
    files["broken_notebook.ipynb"] = '{"cells": [ {"cell_type": "code", "source": '
    for name, code in HOSTILE.items():
        files[f"malicious_{name}.py"] = code + ref
    for name, code in HOSTILE_AFTER.items():
        files[f"malicious_{name}.py"] = ref + "\n" + code.format(fn=fns[-1])
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
