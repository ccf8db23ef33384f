// Whole-array scans that Python asks for before training (one pass, on the GEMM's threads).
#pragma once

namespace pmdl {

// Number of NaN and infinite values among n floats.
long count_nonfinite(const float* x, long n);

}  // namespace pmdl
