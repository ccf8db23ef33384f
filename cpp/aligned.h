// Cache-line aligned float storage: the network's parameters, gradients, optimizer state and
// workspaces (Floats), and the GEMM's packing buffers (gemm_schedule.h).
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <vector>

namespace pmdl {

// Float arrays that start on a cache line (64 bytes), so that rows whose length is a multiple of
// 16 floats start on one too: the SIMD loads of the GEMM packing, the epilogues and the optimizer
// then never straddle two lines (malloc alone gives 16-byte alignment).
// Large requests (from 1 MiB) are checked against require_memory first.
void* allocate_aligned(size_t bytes);
void free_aligned(void* p, size_t bytes);

// Throws OutOfMemory (a std::bad_alloc: Python's MemoryError) naming `what` and the sizes when `bytes` exceed
// the memory the system can still give (Linux: MemAvailable + SwapFree; no check where unknown). The kernel
// overcommits: without this, a model that cannot fit was filled page by page (1.2 GB touched) before failing.
void require_memory(size_t bytes, const char* what);

struct OutOfMemory : std::bad_alloc {
    explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

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
