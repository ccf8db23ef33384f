// Whole-array scans: fit() checks its inputs for NaN/inf once per call, 50 MB for MNIST-sized data,
// so the check runs as one vectorized pass split over the threads (NumPy needs two: min and max).
#include "scan.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "simd.h"
#include "team.h"

namespace pmdl {
namespace {

// Floats per slice a thread claims; below two slices the pass stays on the caller's thread.
constexpr long kSlice = 1L << 16;

// A float is NaN or infinite exactly when all its exponent bits are set.
PMDL_SIMD_CLONES
long count_nonfinite_serial(const float* x, long n) {
    long count = 0;
    for (long i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        count += (bits & 0x7f800000u) == 0x7f800000u;
    }
    return count;
}

}  // namespace

long count_nonfinite(const float* x, long n) {
    const long slices = (n + kSlice - 1) / kSlice;
    const int nt = team_threads((int)std::min<long>(get_num_threads(), slices), 8.0 * n);
    if (nt <= 1) return count_nonfinite_serial(x, n);
    long count = 0;
#pragma omp parallel for num_threads(nt) schedule(dynamic) reduction(+ : count)
    for (long s = 0; s < slices; ++s) {
        const long lo = s * kSlice;
        count += count_nonfinite_serial(x + lo, std::min(kSlice, n - lo));
    }
    return count;
}

}  // namespace pmdl
