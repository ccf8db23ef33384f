// Matrix multiply for the dense layers: C = alpha * op(A) * op(B) + beta * C.
// Row-major storage with leading dimensions, like CBLAS with CblasRowMajor.
#pragma once

namespace pmdl {

// Work on C after the product, done block by block while each block is still in cache: apply is
// called once for every finished block, rows [i0, i0 + rows) x columns [j0, j0 + cols) of C, from
// whichever thread computed it (so concurrently, on disjoint blocks). The dense layers add their
// bias and apply their activation here.
struct GemmEpilogue {
    void (*apply)(const void* context, int i0, int rows, int j0, int cols);
    const void* context;
};

// op(A) is m x k (A is k x m when trans_a), op(B) is k x n (B is n x k when trans_b), C is m x n.
// beta == 0 overwrites C without reading it (NaN in C does not leak through).
// a_in_cache: the caller has just written op(A) and it is still in this core's cache (a convolution's patch
// chunk); when C has at most 64 columns A is then read where it is instead of packed (see gemm_schedule.cpp).
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc,
          const GemmEpilogue* epilogue = nullptr, bool a_in_cache = false);

// The same with a row of ones under op(A): C has m + 1 rows, and row m receives alpha times the
// column sums of op(B) (+ beta * C). A dense layer's weight gradient Xᵀ·dZ and bias gradient (the
// column sums of dZ) in one pass over dZ; in the packed path the ones fill a row of A's padding.
void gemm_with_sums(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                    const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc,
                    bool a_in_cache = false);

// Test hook: of the GEMM's next requests for its packing buffers, `after` succeed and the `count`
// after them fail as if memory had run out (std::bad_alloc); inject_buffer_failures(0, 0) disarms it.
void inject_buffer_failures(int after, int count);

// Threads used by gemm and the network loops (1 = no threading); results never depend on it.
// set_num_threads throws std::invalid_argument outside [1, max_num_threads()] and returns the count in
// use: fewer than n when the system would not create that many threads, 1 in a child of fork().
int set_num_threads(int n);
int get_num_threads();
int max_num_threads();

// Measured fp32 peak of this machine in GFLOP/s for `threads` threads: a register-only FMA loop
// with the same instruction set as the chosen micro-kernel (the benchmark's yardstick).
double measure_peak_gflops(int threads);

// Name of the micro-kernel chosen for this CPU at run time ("avx512", "avx2", "portable").
const char* gemm_kernel_name();

}  // namespace pmdl
