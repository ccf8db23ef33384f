// Straightforward reference GEMM; replaced by the packed, blocked, SIMD version (issue 3).
#include "gemm.h"

#include <algorithm>

namespace pmdl {

static int g_threads = 1;

void set_num_threads(int n) { g_threads = std::max(1, n); }
int get_num_threads() { return g_threads; }
const char* gemm_kernel_name() { return "portable"; }

double measure_peak_gflops(int) { return 0.0; }

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    for (int i = 0; i < m; ++i) {
        float* c = C + (long)i * ldc;
        if (beta == 0.0f) std::fill(c, c + n, 0.0f);
        else if (beta != 1.0f) for (int j = 0; j < n; ++j) c[j] *= beta;
        for (int p = 0; p < k; ++p) {
            float a = alpha * (trans_a ? A[(long)p * lda + i] : A[(long)i * lda + p]);
            if (!trans_b) {
                const float* b = B + (long)p * ldb;
                for (int j = 0; j < n; ++j) c[j] += a * b[j];
            } else {
                for (int j = 0; j < n; ++j) c[j] += a * B[(long)j * ldb + p];
            }
        }
    }
}

}  // namespace pmdl
