// Internal to gemm: the packed five loops and how threads share them (gemm_schedule.cpp), called by
// gemm.cpp once it has picked the register tile and the thread count.
#pragma once

#include <cstddef>
#include <new>

#include "aligned.h"
#include "gemm.h"
#include "gemm_kernels.h"

namespace pmdl::detail {

// Test hook (gemm.h: inject_buffer_failures): requests still to fail (0, the usual case: the hook is
// off, and a buffer request costs one load more), and whether this request is one of them.
inline int g_inject_count = 0;
bool injected_failure();

// A 64-byte aligned float buffer that only grows (aligned.h's allocation): allocated once per
// thread in steady state.
struct Buffer {
    float* data = nullptr;
    size_t size = 0;
    float* get(size_t n) {
        if (__atomic_load_n(&g_inject_count, __ATOMIC_RELAXED) > 0 && injected_failure()) throw std::bad_alloc();
        if (n > size) {
            release();
            n = (n + 15) & ~size_t(15);
            data = static_cast<float*>(allocate_aligned(n * sizeof(float)));
            size = n;
        }
        return data;
    }
    void release() {
        if (data) free_aligned(data, size * sizeof(float));
        data = nullptr;
        size = 0;
    }
    ~Buffer() { release(); }
};

// C = alpha * op(A) * op(B) + beta * C with register tile K on nt threads; the epilogue (or
// nullptr) runs on each block of C once it is final. With ones_row, op(A)'s last row (row m - 1)
// is not read from A but taken as all ones (gemm_with_sums).
void gemm_packed(const GemmKernel& K, int nt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                 const float* A, long lda, const float* B, long ldb, float beta, float* C, long ldc,
                 const GemmEpilogue* epilogue, bool ones_row = false, bool a_in_cache = false);

}  // namespace pmdl::detail
