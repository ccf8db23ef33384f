// Splitting row-wise and elementwise passes over the GEMM's threads, so that results never depend on
// the thread count: each slice is computed exactly as the whole range would be.
#pragma once

#include <algorithm>

#include "gemm.h"
#include "simd.h"
#include "team.h"

namespace pmdl {

// Memory-bound passes (activation gradients and softmax outside the GEMM epilogues, the batch gather,
// pooling, normalization, embedding lookups) over at least this many floats (1 MiB) run on the
// threads. Below it the data sits in one core's L2, and splitting it costs more than it saves: the
// other core has to fetch its half, and a region's start and end cost microseconds on a quiet machine
// but a scheduler slice when a team mate has lost its core to another process (issue 18: tail
// latency). An Embedding(10000, 16) + pooling + Dense epoch took 0.46 s on 2 threads and 0.28 s on one
// at 1 << 15.
constexpr long kParallelFloatsMin = 1L << 18;

// Calls fn(begin, end) on slices of [0, count) that together cover `count * width` floats of
// work, on the threads when there are at least min_work floats, else once on the whole range.
// Threads claim the slices one by one (8 per thread): one that loses its core for a while on a
// shared machine leaves its share to the others instead of holding them up.
template <class Fn>
void for_slices(long count, long width, long min_work, Fn&& fn) {
    const int nt = count * width >= min_work
                       ? team_threads((int)std::min<long>(get_num_threads(), count), 8.0 * count * width) : 1;
    if (nt <= 1) return fn(0L, count);
    const long slices = std::min<long>(count, 8L * nt);
    long next = 0;
    const unsigned float_mode = AdoptFloatMode::current();
    TeamWatch watch;
#pragma omp parallel num_threads(nt)
    {
        AdoptFloatMode mode(float_mode);
        for (long s; (s = __atomic_fetch_add(&next, 1L, __ATOMIC_RELAXED)) < slices;)
            fn(count * s / slices, count * (s + 1) / slices);
        watch.caller_done();
    }
}

template <class Fn>
void for_row_slices(int rows, long cols, Fn&& fn) {  // rows of a layer: ints in, ints out
    for_slices(rows, cols, kParallelFloatsMin, [&](long r0, long r1) { fn((int)r0, (int)r1); });
}

}  // namespace pmdl
