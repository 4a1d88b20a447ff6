"""The sandbox worker: loads one submission, then serves calls.

Runs as ``python -I -S serve.py IN_FD OUT_FD [SITE_DIR ...]`` inside the sandbox,
as an untrusted process.  Nothing here is secret: the worker never sees reference code,
expected values or the comparison.  It imports only the standard library, numpy
and the codec and loader beside it (:mod:`loading`).

Protocol (frames of :mod:`codec`), grader -> worker:

* ``{"load": file, "definitions_only": [keys]}`` once: the submission, in the
  working directory (the worker may be started before its submission is known),
  and the cells to run with only their definitions (see :func:`definitions`)
* ``{"call": name, "args": [...], "kwargs": {...}, "echo": bool[, "standins": [names]]}``;
  with echo, the reply also carries the arguments as the call left them; each
  name in ``standins`` is rebound, for this call only, to a :class:`StandIn` that
  asks the grader (see :func:`standing_in`)
* ``{"reaches": name, "graded": [names]}``: which of ``graded`` the function
  ``name`` calls (see :func:`reaches`)
* ``{"return": value[, "rngs": [generators]]}`` / ``{"raise": [type name, message]}``:
  the answer to a callback or a stand-in; a built-in exception type is raised as
  itself, so the student's code sees what it would see in-process; ``rngs`` are
  the stand-in's generator arguments as its call left them

worker -> grader:

* ``{"cell": key, "line": first line}`` while loading, as each cell starts: a
  notebook cell's key is its index, a ``.py`` statement's its first line
  number; keys only increase.  The grader gives each cell its own time budget
  and the whole load another; a cell past its budget gets the worker killed and
  restarted with that cell's key in ``definitions_only``.
* ``{"ready": [names of callables], "errors": [load errors], "fatal": bool,
  "unset": [[name, key], ...]}`` once, after loading; ``unset`` names the globals
  that only the skipped part of a definitions-only cell would have set
* ``{"result": value[, "after": [args, kwargs]][, "aliases": [...]][, "warnings": [...]]}``
  or ``{"error": [type, message]}`` per call; with echo, ``aliases`` says where the
  result hands back the caller's or the module's own memory (see :func:`aliases`)
* ``{"callback": i, "args": [...], "kwargs": {...}}`` while a call runs
* ``{"standin": name, "args": [...], "kwargs": {...}}`` while a call runs: a stand-in
  asks the grader for the reference's ``name`` on these arguments
* ``{"reaches": [names]}`` per ``reaches`` request
"""
from __future__ import annotations

import builtins
import contextlib
import os
import signal
import sys
import traceback
import types
import warnings

if __package__:          # imported by the grader (in-process worker, build)
    from . import codec
    from .loading import SKIP_TAG, _error, definitions, load, notebook_cells  # public here too
else:                    # run as a script inside the sandbox, without site:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.extend(sys.argv[3:])  # where numpy lives
    import codec  # stdlib + numpy only
    from loading import SKIP_TAG, _error, definitions, load, notebook_cells  # noqa: F401
import numpy as np  # (found through the path above, in the sandbox)

MAX_ERRORS = 20  # load errors reported (a notebook keeps going past each)
MAX_UNSET = 200  # globals reported as left unset by definitions-only cells
MAX_CODES = 1000  # code objects :func:`reaches` walks (a function, its helpers, nested code)


# ---------------------------------------------------------------- serving

class Server:
    """Serve calls on ``fd_in``/``fd_out`` against a loaded namespace."""

    def __init__(self, ns: dict, fd_in: int, fd_out: int):
        self.ns, self.fd_in, self.fd_out = ns, fd_in, fd_out
        self.pid = os.getpid()

    def send(self, message) -> None:
        if os.getpid() != self.pid:
            os._exit(0)  # a forked child of student code must not answer
        try:
            payload = codec.encode(message)
        except Exception as exc:  # noqa: BLE001  e.g. a result whose encoding overflowed
            payload = codec.encode({"error": ["EncodeError", str(exc)[:300]]})
        codec.write_frame(self.fd_out, payload)

    def receive(self):
        return codec.decode(codec.read_frame(self.fd_in), callback_caller=self.callback)

    def callback(self, index, args, kwargs):
        self.send({"callback": index, "args": list(args), "kwargs": dict(kwargs)})
        return answer(self.receive(), args, kwargs)

    def stand_in(self, name, args, kwargs):
        """Ask the grader for the reference's ``name`` on these arguments (see :class:`StandIn`)."""
        self.send({"standin": name, "args": list(args), "kwargs": dict(kwargs)})
        return answer(self.receive(), args, kwargs)

    def serve_forever(self) -> None:
        while True:
            try:
                request = self.receive()
            except EOFError:
                return
            self.send(self.handle(request))

    def handle(self, request) -> dict:
        if "reaches" in request:
            return {"reaches": reaches(self.ns, request["reaches"], request.get("graded", ()))}
        name = request.get("call")
        fn = self.ns.get(name)
        if not callable(fn):
            return {"error": ["NameError", f"the submission defines no function {name!r}"]}
        args, kwargs = request.get("args", []), request.get("kwargs", {})
        try:
            with warnings.catch_warnings(record=True) as caught, \
                    standing_in(self.ns, request.get("standins", ()), self.stand_in):
                warnings.simplefilter("always")
                reply = {"result": fn(*args, **kwargs)}
            if caught:  # e.g. "overflow encountered in exp": a check may forbid it
                reply["warnings"] = [codec.clean(w.message, 200) for w in caught[:5]]
            if request.get("echo"):  # the arguments as the call left them: a purity check
                reply["after"] = [args, kwargs]
                shared = aliases(reply["result"], args, kwargs, self.ns)
                if shared:  # the caller's own memory handed back: a purity check too
                    reply["aliases"] = [codec.clean(w, 100) for w in shared[:5]]
            return reply
        except BaseException as exc:  # noqa: BLE001  the student's exception, whatever it is
            labels = self.ns.get("__labels__", ())
            tb = traceback.extract_tb(exc.__traceback__)
            where = next((f" ({fr.filename}, line {fr.lineno})" for fr in reversed(tb)
                          if fr.filename in labels), "")
            kind, message = _error(exc)
            return {"error": [kind, message + where]}


# ---------------------------------------------------------------- stand-ins

def answer(reply: dict, args, kwargs):
    """The value of the grader's reply to a callback or a stand-in; raise what it says to raise.

    A stand-in's reply also carries its generator arguments as the reference's call
    left them: their states are copied into the caller's, so the draws advance as a
    real call's would.
    """
    if "raise" in reply:
        kind, message = (list(reply["raise"]) + ["", ""])[:2]
        error = getattr(builtins, str(kind), None)
        if not (isinstance(error, type) and issubclass(error, Exception)):
            error, message = RuntimeError, f"{kind}: {message}"
        raise error(message)
    for mine, after in zip(generators([args, kwargs]), reply.get("rngs", ())):
        if isinstance(after, np.random.Generator):
            mine.bit_generator.state = after.bit_generator.state
    return reply["return"]


def leaves(value, depth: int = 0):
    """The values inside ``value``'s lists, tuples and dict values (to the codec's depth),
    in order: both sides walk a stand-in's arguments alike."""
    if depth < codec.MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        for item in (value.values() if isinstance(value, dict) else value):
            yield from leaves(item, depth + 1)
    else:
        yield value


MAX_ALIAS_PAIRS = 100_000  # (returned, held) pairs :func:`aliases` compares at most


def aliases(result, args, kwargs, ns: dict) -> list[str]:
    """Where ``result`` hands back memory the caller or the module holds: an argument's
    array (itself or a view of it), an argument's list or dict itself, or an array of
    the module's globals.  Untrusted, like all the worker says (see :mod:`cases`)."""
    held = [(f"argument #{i + 1}", a) for i, a in enumerate(args)]
    held += [(f"argument {k!r}", v) for k, v in kwargs.items()]
    held += [(f"the global {k!r}", v) for k, v in ns.items() if isinstance(v, np.ndarray)]
    mine = [(where, leaf) for where, value in held for leaf in _containers_and_leaves(value)]
    out = [x for x in _containers_and_leaves(result)]
    if len(mine) * len(out) > MAX_ALIAS_PAIRS:
        return []
    found = []
    for x in out:
        for where, y in mine:
            same = x is y and isinstance(x, (list, dict)) or (
                isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.size and y.size
                and np.may_share_memory(x, y))
            if same and where not in found:
                found.append(where)
    return found


def _containers_and_leaves(value, depth: int = 0):
    """``value``'s lists and dicts themselves, and the arrays inside them."""
    if depth < codec.MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        if isinstance(value, (list, dict)):
            yield value
        for item in (value.values() if isinstance(value, dict) else value):
            yield from _containers_and_leaves(item, depth + 1)
    elif isinstance(value, np.ndarray):
        yield value


def generators(value) -> list:
    """The ``numpy.random.Generator`` s among ``value``'s :func:`leaves`."""
    return [leaf for leaf in leaves(value) if isinstance(leaf, np.random.Generator)]


class StandIn:
    """Stands in a submission's namespace, during one call, for one of its graded functions.

    Calling it asks the grader for the reference's result (``ask(name, args,
    kwargs)``).  After its call it refuses; the grader, which alone holds the
    reference, refuses too, whatever the student's code does to this object.
    """

    def __init__(self, name: str, ask):
        self.__name__ = self.__qualname__ = name
        self._ask, self.live = ask, True

    def __call__(self, *args, **kwargs):
        if not self.live:
            raise RuntimeError(f"the grader's stand-in for {self.__name__}() works only "
                               "inside the call it was given to")
        return self._ask(self.__name__, args, kwargs)


@contextlib.contextmanager
def standing_in(ns: dict, names, ask):
    """Rebind each of ``names`` that ``ns`` defines to a :class:`StandIn` while the block
    runs; restore the student's own functions afterwards, also when the block raises."""
    saved = {name: ns[name] for name in names if type(name) is str and name in ns}
    stubs = [StandIn(name, ask) for name in saved]
    ns.update((stub.__name__, stub) for stub in stubs)
    try:
        yield
    finally:
        ns.update(saved)
        for stub in stubs:
            stub.live = False


def reaches(ns: dict, name: str, graded) -> list[str]:
    """The functions among ``graded`` that ``ns[name]`` calls by their global names.

    Walks the global names (``co_names``) of the function's code, of the code nested
    in it, and of the submission's other functions it calls (helpers), transitively;
    graded functions end the walk, since a stand-in replaces each whole.
    """
    graded = {g for g in graded if type(g) is str} if isinstance(graded, (list, tuple)) else set()
    found, seen = set(), set()
    todo = [getattr(ns.get(name), "__code__", None)]
    while todo and len(seen) < MAX_CODES:
        code = todo.pop()
        if not isinstance(code, types.CodeType) or code in seen:
            continue
        seen.add(code)
        todo += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        for used in code.co_names:
            fn = ns.get(used)
            if used in graded and used != name and callable(fn):
                found.add(used)
            elif isinstance(fn, types.FunctionType) and fn.__globals__ is ns:
                todo.append(fn.__code__)
    return sorted(found)


def defined_functions(ns: dict) -> list[str]:
    """The functions a loaded submission defines that may be graded: its callables
    whose names do not start with an underscore, sorted."""
    return sorted(k for k, v in ns.items() if callable(v) and not k.startswith("_"))


def main(argv: list[str]) -> None:
    fd_in, fd_out = int(argv[1]), int(argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full output file fails writes, not us
    try:  # started ahead of time: wait to be told which file to load
        request = codec.decode(codec.read_frame(fd_in))
    except EOFError:
        return
    server = Server({}, fd_in, fd_out)
    loaded = load(str(request["load"]), definitions_only=set(request["definitions_only"]),
                  progress=lambda unit: server.send({"cell": unit.key, "line": unit.first[:200]}))
    server.ns = loaded.ns
    server.send({"ready": [n[:100] for n in defined_functions(loaded.ns)[:1000]],
                 "errors": loaded.errors[:MAX_ERRORS],
                 "fatal": loaded.fatal,
                 "unset": [[n[:100], k] for n, k in sorted(loaded.unset.items())[:MAX_UNSET]]})
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
