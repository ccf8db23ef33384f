"""Argument checks shared by the public API; every message names the argument and the value received."""

import difflib
import numbers

import numpy as np

MAX_SIZE = 2**31 - 1  # sizes and counts the C++ core holds in an int


def integer(name, value, minimum=None, maximum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value!r}")
    return value


def number(name, value, low=None, high=None, low_open=False, high_open=False):
    """A real number within [low, high] (or open ends), finite AFTER conversion to float32.

    The C++ core stores every float hyperparameter (learning rates, betas, epsilons, clip norms, class
    weights, layer arguments) as float32, so the checks apply to the float32 value: 1e39 becomes inf and is
    rejected, 1e-46 becomes 0 (which fails low_open=True at 0), 0.999999999 becomes 1 (which fails
    high_open=True at 1). The caller gets the value as given (configs keep Keras' numbers)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    with np.errstate(over="ignore"):
        stored = float(np.float32(value))
    bad = not np.isfinite(stored)
    if low is not None:
        bad |= stored <= low if low_open else stored < low
    if high is not None:
        bad |= stored >= high if high_open else stored > high
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}"
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        where = f" in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
        stored_note = f" (as float32: {stored!r})" if np.isfinite(value) and stored != value else ""
        raise ValueError(f"{name} must be a finite number{where}, got {value!r}{stored_note}")
    return value


def float32_array(name, value):
    """value as a float32 array whose every element is finite after the conversion (1e39 -> inf is rejected)."""
    with np.errstate(over="ignore"):
        array = np.asarray(value, dtype=np.float32)
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(f"{name} contains NaN or infinite values: {bad} of {array.size} as float32 (|x| must be "
                         f"<= {float(np.finfo(np.float32).max):.7g})")
    return array


MAX_STEPS = 2**53  # optimizer iterations: exact in a double (the schedules' step), far from int64 overflow


def state_count(name, value, maximum=MAX_STEPS):
    """A count kept as training state (optimizer iterations) read from a file or set by a user: an int in
    [0, maximum]. The C++ core adds one per step in int64; 2**63 - 1 would overflow after one step."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r:.80}")
    if not 0 <= int(value) <= maximum:
        raise ValueError(f"{name} must be an integer in [0, {maximum}], got {value!r}")
    return int(value)


def state_number(name, value, low=None, high=None):
    """A float64 training state value (Nadam's momentum product, in [0, 1]): finite and within [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r:.80}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value!r}")
    return value


def shape_size(name, shape, limit=MAX_SIZE):
    """The number of elements of `shape` (positive ints), checked against `limit` in Python integers: a
    product that does not fit the C++ core's sizes is an error naming the shape, never a wrapped int64."""
    size = 1
    for s in shape:
        size *= int(s)
    if size > limit:
        raise ValueError(f"{name} {tuple(shape)!r} has {size} elements per sample; the limit is {limit} "
                         f"(sizes are held in 32-bit integers)")
    return size


def boolean(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def lookup(kind, name, table):
    """table[name] with a case-insensitive match and a 'did you mean' hint for unknown names."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a string or an object, got {name!r}")
    key = name.lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"Unknown {kind}: {name!r}.{hint} Known: {', '.join(sorted(table))}")
