// Allocation of the cache-line aligned float arrays (aligned.h).
#include "aligned.h"

#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace pmdl {

// Arrays from 1 MiB up are mapped straight from the OS (page-aligned) and unmapped when freed, so a
// dropped network's memory goes back at once (glibc's heap may keep large freed blocks for reuse).
constexpr size_t kMapFrom = size_t(1) << 20;

void* allocate_aligned(size_t bytes) {
#if defined(__unix__) || defined(__APPLE__)
    if (bytes >= kMapFrom) {
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return p;
    }
#endif
    return ::operator new(bytes, std::align_val_t(64));
}

void free_aligned(void* p, size_t bytes) {
#if defined(__unix__) || defined(__APPLE__)
    if (bytes >= kMapFrom) {
        munmap(p, bytes);
        return;
    }
#endif
    ::operator delete(p, std::align_val_t(64));
}

}  // namespace pmdl
