// Allocation of the cache-line aligned float arrays (aligned.h).
#include "aligned.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace pmdl {

// Arrays from 1 MiB up are mapped straight from the OS (page-aligned) and unmapped when freed, so a
// dropped network's memory goes back at once (glibc's heap may keep large freed blocks for reuse).
constexpr size_t kMapFrom = size_t(1) << 20;

// Bytes the system can still give: MemAvailable + SwapFree from /proc/meminfo, or 0 when unknown.
static size_t available_bytes() {
    FILE* f = std::fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kib, total = 0;
    bool found = false;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) total += kib, found = true;
        else if (std::sscanf(line, "SwapFree: %llu kB", &kib) == 1) total += kib;
    }
    std::fclose(f);
    return found ? (size_t)(total * 1024) : 0;
}

void require_memory(size_t bytes, const char* what) {
    const size_t free = available_bytes();
    if (free == 0 || bytes <= free) return;
    char text[96];
    std::snprintf(text, sizeof text, " needs %.2f GiB (%zu bytes), but only %.2f GiB are available", bytes / 1073741824.0,
                  bytes, free / 1073741824.0);
    throw OutOfMemory(std::string(what) + text);
}

void* allocate_aligned(size_t bytes) {
#if defined(__unix__) || defined(__APPLE__)
    if (bytes >= kMapFrom) {
        require_memory(bytes, "an array");
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
