#!/bin/bash
# Builds the core the ways users' machines do, and checks each build:
#   1. GCC without OpenMP (one thread for everything): the whole test suite
#   2. clang, macOS's compiler (no OpenMP here): the whole test suite             [when clang++ is installed]
#   3. 64-bit ARM, Apple silicon's and Graviton's processor: tools/arm_check.sh  [when its cross tools are installed]
# Each build is installed with `pip --target` into build/port-*/site (the editable install stays as it is).
#
#   tools/portability.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}

# suite NAME [KEY=VALUE...]: build into build/port-NAME/site with the given environment, run the suite there.
suite() {
    local name=$1 site=$ROOT/build/port-$1/site
    shift
    rm -rf "$site"
    env "$@" "$PY" -m pip install --no-build-isolation --no-deps -q --target "$site" -Cbuild-dir="$ROOT/build/port-$name" \
        -Ccmake.define.CMAKE_DISABLE_FIND_PACKAGE_OpenMP=ON "$ROOT"
    # The editable install's import redirect would win over PYTHONPATH: drop it (as tools/sanitize.sh does).
    printf '%s\n' 'import sys' \
        'sys.meta_path[:] = [f for f in sys.meta_path if "ScikitBuildRedirectingFinder" not in type(f).__name__]' \
        > "$site/sitecustomize.py"
    echo "== $name"
    # From inside the site: tests start `python -c` children, which must import this build, not the source tree.
    (cd "$site" && PYTHONPATH=$site "$PY" -P -c "import pyminidl._core as c; assert '$site' in c.__file__" &&
        PYTHONPATH=$site "$PY" -P -m pytest -p no:cacheprovider -q --rootdir "$ROOT" -c "$ROOT/pyproject.toml" "$ROOT/tests")
}

suite gcc-no-openmp
if command -v clang++ > /dev/null; then suite clang CXX=clang++; else echo "== clang: skipped (no clang++)"; fi
if command -v aarch64-linux-gnu-g++ > /dev/null && command -v qemu-aarch64-static > /dev/null; then
    echo "== aarch64"
    "$ROOT/tools/arm_check.sh"
else
    echo "== aarch64: skipped (needs g++-aarch64-linux-gnu and qemu-user-static)"
fi
