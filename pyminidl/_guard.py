"""Which model calls may overlap: a model is 'busy' while fit() trains it, while evaluate() runs, and while
compile()/add()/pop()/build() change it. A call that would change what a running computation relies on (the
loss and the target layout, the metrics and their sums, the layers and their network) raises a clear
RuntimeError instead of corrupting it, whether it comes from a callback of that fit (the same thread) or
from another thread. docs/reliability.md lists what may overlap.

    kind      may run while ...                          refused while ...
    predict   anything (not guarded: it needs only the network it started with, kept alive by the call)
    evaluate  fit or evaluate runs (any thread)          a change runs in another thread
    (also set_weights, save, save_weights, export: they read or write values of a structure that must not
    change)
    fit       evaluate runs in another thread            fit runs (a callback's nested fit, or another thread);
                                                         a change runs in another thread
    change    nothing else runs                          fit or evaluate runs (any thread), another change runs
    (compile, add, pop, build, load_weights)

Calls made by a change in its own thread (load_weights -> build -> set_weights) are part of that change.

A refused call raises at once rather than waiting: a callback that waited for its own fit would deadlock.
"""

import functools
import threading

_CREATE = threading.Lock()  # makes each model's guard exactly once


class ModelBusyError(RuntimeError):
    """A call that would change a model while it is training or evaluating (or being changed elsewhere)."""


class _Guard:
    def __init__(self):
        self._lock = threading.Lock()
        self._fit = None        # thread ident of the running fit
        self._evaluations = {}  # thread ident -> running evaluate calls
        self._change = None     # (thread ident, name) of the running change

    def _refuse(self, model, what, running, thread):
        where = ("it was called from a callback of that call" if thread == threading.get_ident()
                 else "in another thread")
        raise ModelBusyError(f"Model '{model.name}': {what}() cannot run while {running} is using this model "
                             f"({where}). Call it before or after; a change of the model while it trains or "
                             "evaluates would corrupt what it computes.")

    def enter(self, model, kind, what):
        me = threading.get_ident()
        with self._lock:
            if self._change is not None:
                if self._change[0] != me:
                    self._refuse(model, what, f"{self._change[1]}()", self._change[0])
                # the same thread inside a change (load_weights -> build, set_weights): part of that change
                return False
            if kind == "change":
                if self._fit is not None:
                    self._refuse(model, what, "fit()", self._fit)
                busy = [t for t, count in self._evaluations.items() if count]
                if busy:
                    self._refuse(model, what, "evaluate()", busy[0])
                self._change = (me, what)
                return True
            if kind == "fit":
                if self._fit is not None:
                    self._refuse(model, what, "fit()", self._fit)
                self._fit = me
                return True
            self._evaluations[me] = self._evaluations.get(me, 0) + 1
            return True

    def leave(self, kind, owner):
        if not owner:  # a call nested in a change of the same thread took nothing
            return
        me = threading.get_ident()
        with self._lock:
            if kind == "change":
                self._change = None
            elif kind == "fit":
                self._fit = None
            else:
                self._evaluations[me] -= 1
                if not self._evaluations[me]:
                    del self._evaluations[me]


def _guard_of(model):
    guard = model.__dict__.get("_busy_guard")
    if guard is None:
        with _CREATE:
            guard = model.__dict__.setdefault("_busy_guard", _Guard())
    return guard


def guarded(kind):
    """Method decorator: kind is 'fit', 'evaluate' or 'change' (compile, add, pop, build)."""
    assert kind in ("fit", "evaluate", "change")

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            guard = _guard_of(self)
            owner = guard.enter(self, kind, method.__name__)
            try:
                return method(self, *args, **kwargs)
            finally:
                guard.leave(kind, owner)
        return call
    return wrap
