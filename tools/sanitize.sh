#!/bin/bash
# Build pyminidl._core with AddressSanitizer + UndefinedBehaviorSanitizer and run the test suite against it.
#
#   tools/sanitize.sh                 # whole suite
#   tools/sanitize.sh tests/test_dense.py -k predict   # any pytest arguments
#
# The sanitized package is installed with `pip --target` into build/asan-site (nothing else is touched: the
# developer's editable install stays as it is). build/asan-site/sitecustomize.py removes the editable install's
# import redirect, so `import pyminidl` finds the sanitized copy first. libasan must be loaded before Python
# itself (LD_PRELOAD, with libstdc++); leak detection is off because CPython keeps interned objects alive until exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITE=$ROOT/build/asan-site
PY=${PYTHON:-python3}

rm -rf "$SITE"
flock /tmp/pyminidl-asan-build.lock "$PY" -m pip install --no-build-isolation --no-deps -q --target "$SITE" \
    -Ccmake.define.PYMINIDL_SANITIZE=ON -Ccmake.build-type=RelWithDebInfo -Cbuild-dir="$ROOT/build/asan" "$ROOT"
cat > "$SITE/sitecustomize.py" <<'PY'
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "ScikitBuildRedirectingFinder" not in type(f).__name__]
PY

export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
# libstdc++ too: ASan resolves its __cxa_throw interceptor at start-up, and python itself does not link
# libstdc++, so the first C++ exception (ours or matplotlib's) would otherwise abort in a CHECK.
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libstdc++.so)"
# allocator_may_return_null: a fuzzed HDF5 file makes libhdf5 (inside h5py) ask malloc for terabytes; glibc
# returns NULL and libhdf5 raises an error that pyminidl turns into ValueError, while ASan's allocator aborts
# the process instead (allocation-size-too-big in H5C_protect). Out-of-range accesses are still reported.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:strict_init_order=1:detect_stack_use_after_return=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYMINIDL_SANITIZED=1   # tests that time things (interrupt latency, speed) relax their limits
"$PY" -P -c "import pyminidl._core as c; assert '$SITE' in c.__file__, c.__file__; print('sanitized core:', c.__file__)"
# Run from inside $SITE: tests start `python -c ...` children, which put their cwd first on sys.path, and the
# repo root would give them the source tree's pyminidl/ (no compiled _core); $SITE gives them the sanitized one.
# Paths given relative to the repo root (tests/test_x.py::test_y) are made absolute.
args=()
for a in "${@:-tests}"; do
    if [[ -e "$ROOT/${a%%::*}" ]]; then args+=("$ROOT/$a"); else args+=("$a"); fi
done
cd "$SITE"
exec "$PY" -P -m pytest -p no:cacheprovider -q --rootdir "$ROOT" -c "$ROOT/pyproject.toml" "${args[@]}"
