"""How the C++ core's idle OpenMP threads wait: set for libgomp as the core loads, then put back.

libgomp reads its wait policy once, when the library loads. Its default lets an idle thread spin for
~300,000 rounds (milliseconds) before sleeping, which pays on a machine with cores to spare and is
ruinous on a busy one: on two cores shared with one other busy process, an Embedding + Dense model's
epoch took 14 s with the default against 0.5 s with 1,000 rounds and 0.25 s on one thread, because the
spinning thread takes the core the working one needs at every barrier. 1,000 rounds (a few
microseconds) still catch the short waits inside a GEMM's barriers. A user's own OMP_WAIT_POLICY or
GOMP_SPINCOUNT wins; the variable is removed again so that libraries loaded later see the environment
as the user left it."""

import os

_USER_KNOBS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
SPIN_ROUNDS = "1000"


def load_core():
    """The pyminidl._core extension module, loaded with the wait policy above."""
    if any(k in os.environ for k in _USER_KNOBS):
        from pyminidl import _core
        return _core
    os.environ["GOMP_SPINCOUNT"] = SPIN_ROUNDS
    try:
        from pyminidl import _core
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)
    return _core
