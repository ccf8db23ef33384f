// Cache-line aligned float storage: the network's parameters, gradients, optimizer state and
// workspaces (Floats), and the GEMM's packing buffers (gemm_schedule.h).
#pragma once

#include <cstddef>
#include <vector>

namespace pmdl {

// Float arrays that start on a cache line (64 bytes), so that rows whose length is a multiple of
// 16 floats start on one too: the SIMD loads of the GEMM packing, the epilogues and the optimizer
// then never straddle two lines (malloc alone gives 16-byte alignment).
void* allocate_aligned(size_t bytes);
void free_aligned(void* p, size_t bytes);

template <class T>
struct CacheAligned {
    using value_type = T;
    CacheAligned() = default;
    template <class U>
    CacheAligned(const CacheAligned<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(allocate_aligned(n * sizeof(T))); }
    void deallocate(T* p, size_t n) { free_aligned(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const CacheAligned<U>&) const { return true; }
    template <class U>
    bool operator!=(const CacheAligned<U>&) const { return false; }
};
using Floats = std::vector<float, CacheAligned<float>>;

}  // namespace pmdl
