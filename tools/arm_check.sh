#!/bin/bash
# Cross-build the C++ core for 64-bit ARM (what Apple silicon and Graviton machines compile) and check it:
# every source file must compile without warnings, and the GEMM (tools/arm_gemm_check.cpp) must be
# correct and thread-count independent under qemu. Needs: apt-get install g++-aarch64-linux-gnu qemu-user-static
#
#   tools/arm_check.sh        # about a minute, most of it qemu
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/arm
CXX=aarch64-linux-gnu-g++
PY_INC=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PB_INC=$(python3 -c 'import pybind11; print(pybind11.get_include())')
mkdir -p "$OUT"
for f in "$ROOT"/cpp/*.cpp "$ROOT"/cpp/layers/*.cpp; do
    case $(basename "$f") in gemm_avx512.cpp|gemm_avx2.cpp) continue ;; esac  # x86 only (see CMakeLists.txt)
    $CXX -std=gnu++17 -O2 -fopenmp -fPIC -Wall -Wextra -Werror -isystem "$PY_INC" -isystem "$PB_INC" \
        -c "$f" -o "$OUT/$(basename "$(dirname "$f")")_$(basename "$f" .cpp).o"
done
echo "every file compiles for aarch64"
rm -f "$OUT/gemm_check"  # a failed link must not leave an earlier binary to run
$CXX -std=gnu++17 -O3 -fopenmp -static -I"$ROOT/cpp" "$ROOT/tools/arm_gemm_check.cpp" "$ROOT/cpp/gemm.cpp" \
    "$ROOT/cpp/gemm_portable.cpp" "$ROOT/cpp/gemm_schedule.cpp" "$ROOT/cpp/aligned.cpp" "$ROOT/cpp/team.cpp" \
    -o "$OUT/gemm_check" 2>&1 |
    grep -v -e "dlopen" -e "goacc" || true
qemu-aarch64-static "$OUT/gemm_check"
