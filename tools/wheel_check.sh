#!/bin/bash
# Build the wheel as a release would, repair it to a manylinux tag, install it in a fresh venv and run the test
# suite against the installed package (not the source tree). Prints the wheel's tag and size.
#
#   tools/wheel_check.sh            # wheel in build/wheelhouse, venv in build/wheel-venv
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
OUT=$ROOT/build/wheel-check
rm -rf "$OUT" && mkdir -p "$OUT/dist" "$OUT/wheelhouse" "$OUT/run"

start=$SECONDS
"$PY" -m build --wheel --outdir "$OUT/dist" "$ROOT" > "$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
echo "python -m build --wheel took $((SECONDS - start)) s (isolated build environment, C++ core from scratch)"
"$PY" -m auditwheel repair "$OUT"/dist/*.whl --wheel-dir "$OUT/wheelhouse"
WHEEL=$(ls "$OUT"/wheelhouse/*.whl)
case "$WHEEL" in *manylinux*) ;; *) echo "not a manylinux wheel: $WHEEL"; exit 1 ;; esac
"$PY" -m auditwheel show "$WHEEL"
unzip -l "$WHEEL" | grep -E "py\.typed|LICENSE" || { echo "py.typed or LICENSE missing from $WHEEL"; exit 1; }
echo "wheel: $(basename "$WHEEL"), $(du -k "$WHEEL" | cut -f1) kB ($(stat -c %s "$WHEEL") bytes)"

"$PY" -m venv "$OUT/venv"   # no system site-packages: only what the wheel and its extras bring
VPY=$OUT/venv/bin/python
"$VPY" -m pip install -q "$WHEEL[test]"
cd "$OUT/run"   # not the repository root: `import pyminidl` must find the installed copy
"$VPY" -P -c "import pyminidl, sys; f = pyminidl.__file__; print('testing', f, pyminidl.__version__); \
sys.exit(0 if '/venv/' in f else 'pyminidl came from ' + f)"
exec "$VPY" -P -m pytest -p no:cacheprovider -q --rootdir "$ROOT" -c "$ROOT/pyproject.toml" "$ROOT/tests"
