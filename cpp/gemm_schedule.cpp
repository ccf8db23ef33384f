// The packed GEMM in the BLIS/GotoBLAS style: five loops around a register-tiled micro-kernel.
//
//   jc: NC columns of C      B panel (KC x NC) packed once, shared by the threads   -> L3
//   pc: KC of the reduction  (never split across threads: results do not depend on their number)
//   ic: up to MC rows of C   A block (MC x KC) packed by the thread that claimed it -> L2
//   jr: NR columns           B micro-panel (KC x NR) reused by every ir step        -> L1
//   ir: MR rows              micro-kernel: MR x NR tile of C in registers
//
// Two ways for threads to share them. gemm_blocked: threads share the ic loop (runs of MR-row
// panels claimed from a counter), or the jr loop when C has too few rows. gemm_shared_a, for
// products with a small A and several KC blocks (the MLP's): A packed whole and shared, threads
// taking column panels. Either way every element of C is computed by one thread in one fixed
// order, so results are bit-identical for any thread count.
#include "gemm_schedule.h"
#include "team.h"

#include <algorithm>
#include <new>

#ifdef _OPENMP
#include <omp.h>
#else  // a build without OpenMP runs every product on the calling thread
inline int omp_get_thread_num() { return 0; }
inline int omp_get_num_threads() { return 1; }
#endif

#include "simd.h"

namespace pmdl::detail {
namespace {

// Blocking for the AVX-512 tiles (6 x 64, 14 x 32) on L1d 48 KiB, L2 2 MiB per core (Sapphire
// Rapids); the same numbers serve the smaller AVX2/portable tiles (they only use less of each cache).
// KC: the B micro-panel KC x NR x 4 B is reused by every MR-row step, so it should stay near L1:
//     256 x 32 x 4 B = 32 KiB of 48 for the 14 x 32 tile; 6 x 64 needs twice that but loads less
//     per FMA (and measured faster anyway). Longer reductions are cut into equal blocks (k = 784 -> 4 x 196);
//     the cut depends only on k, so no element's rounding depends on the thread count.
// MC: the packed A block MC x KC x 4 B stays in L2 while all B micro-panels pass it:
//     MC = 336 (56 x 6, 24 x 14) -> 336 KiB, a sixth of L2, leaving room for the B panel streaming through.
// NC: the packed B panel KC x NC x 4 B is shared by the threads and read once per A block;
//     NC = 2048 -> 2 MiB, which lives in the (300 MiB) L3 and is fetched micro-panel by micro-panel.
constexpr int KC_MAX = 256;
constexpr int MC_MAX = 336;
constexpr int NC_MAX = 2048;

// inject_buffer_failures' other half: requests still to succeed before the failures start.
int g_inject_after = 0;

thread_local Buffer a_buffer;  // each thread's packed A block
thread_local Buffer b_buffer;  // the calling thread's packed B panel, shared with its team
thread_local Buffer a_shared;  // the calling thread's packed A, whole, shared with its team

struct Problem {
    const GemmKernel* K;  // the register tile for this shape
    bool ta, tb;
    int m, n, k;
    float alpha, beta;
    const float* A;
    long lda;
    const float* B;
    long ldb;
    float* C;
    long ldc;
    int kc_step;       // KC used for this k (depends on k only)
    float* b_packed;   // two shared B panels of kc_step x NC_MAX, b_half floats apart
    long b_half;
    int* counters;     // work counters of three consecutive rounds (see gemm_blocked)
    int* failed;       // set when a thread could not get its buffer: the team stops, the caller throws
    const GemmEpilogue* epilogue;  // or nullptr
    unsigned float_mode;           // the caller's, for the worker threads
    bool ones_row;                 // op(A)'s row m - 1 is all ones, not stored in A
    bool a_in_place;               // op(A) is read from A, not packed (but for a run holding the ones row)
    bool b_in_place;               // column panels of op(B) are read from B, not packed (see b_in_place())
};

// Packing copies a panel so that the micro-kernel can reuse it from cache many times; a panel
// used a few times only is read where it is instead (A(i, p) = a[i * rs + p * cs], B's rows ldb
// apart): op(A) when C has at most two column panels, op(B) (not transposed) when C has at most
// 48 rows. Such products are the narrow ones turned around (the softmax layer's weight gradient:
// 45 -> 25 us), predictions of a few samples, and the forward products of training at Keras'
// batch size 32, where packing the weights took a third of the multiply's time (784-128-10,
// batch 24 / 32 / 48: 10% / 3.5% / 4% faster per epoch, AVX2 10% at 32; level at 64). Panels reused
// more stay packed: read in place, they measured 5-15% slower.
constexpr int A_IN_PLACE_MAX_USES = 2;
// An A the caller has just written, still in cache (gemm's a_in_cache: a convolution's patch chunk), is read in
// place up to 64 columns of C (four 16-wide panels): packing it would copy it once more for few uses.
// mnist_convnet's second convolution (15,488 x 288 x 64, AVX2, alternating runs): forward 42.6 -> 48.0
// GFLOP/s on one thread, 78 -> 90 on two; the CIFAR-shaped net's second likewise (+13-20%).
constexpr int A_IN_CACHE_MAX_COLS = 64;
constexpr int B_IN_PLACE_MAX_ROWS = 48;

// Rows [i0, i0 + rows) of op(A) are read in place unless they hold the ones row (which A does not store).
bool a_in_place(const Problem& P, int i0, int rows) { return P.a_in_place && !(P.ones_row && i0 + rows >= P.m); }
// How many of rows [i0, i0 + rows) are read in place: all, none, or (a ones row among them) those before the
// ones row's MR-row panel, so that a convolution's kernel gradient packs one panel of its patches, not all.
int a_rows_in_place(const Problem& P, int i0, int rows) {
    if (!P.a_in_place) return 0;
    if (!(P.ones_row && i0 + rows >= P.m)) return rows;
    return (P.m - 1 - i0) / P.K->mr * P.K->mr;
}
// A column panel of op(B) nr wide is read in place when it is whole (a partial one is padded by
// packing), or when the micro-kernel reads only nr columns of B's rows.
bool b_in_place(const Problem& P, int nr) { return P.b_in_place && (nr == P.K->nr || P.K->partial_b_in_place); }

// The micro-kernel's strides for A(i, p): op(A) in place, or a packed MR-row panel.
struct AStrides {
    long row, col;
};
AStrides a_strides(const Problem& P, bool in_place) {
    if (!in_place) return {1, P.K->mr};
    return P.ta ? AStrides{1, P.lda} : AStrides{P.lda, 1};
}

void finish(const Problem& P, int i0, int rows, int j0, int cols) {  // a block of C is final
    if (P.epilogue && rows > 0 && cols > 0) P.epilogue->apply(P.epilogue->context, i0, rows, j0, cols);
}

// Address of op(A)(i, p) and op(B)(p, j).
const float* a_at(const Problem& P, int i, int p) {
    return P.ta ? P.A + (long)p * P.lda + i : P.A + (long)i * P.lda + p;
}
const float* b_at(const Problem& P, int p, int j) {
    return P.tb ? P.B + (long)j * P.ldb + p : P.B + (long)p * P.ldb + j;
}

// Packs rows [i0, i0 + mc) x columns [pc, pc + kc) of op(A) into MR-row panels at `out`; a ones
// row among them is written into the panel (into the zero padding after the stored rows, or as
// the first row of a panel of its own).
void pack_a_rows(const Problem& P, int i0, int mc, int pc, int kc, float* out) {
    const int MR = P.K->mr;
    const int stored = P.ones_row ? std::min(mc, P.m - 1 - i0) : mc;
    if (stored > 0) P.K->pack_a(stored, kc, a_at(P, i0, pc), P.lda, P.ta, out);
    if (stored == mc) return;
    float* panel = out + (long)(stored / MR) * MR * kc;
    if (stored % MR == 0) std::fill(panel, panel + (long)MR * kc, 0.0f);
    for (int p = 0; p < kc; ++p) panel[(long)p * MR + stored % MR] = 1.0f;
}

// The team's barrier; a team of one has none to wait for. (An orphaned `omp barrier` binds to the
// innermost enclosing parallel region: a single-threaded product called from inside another team's
// region, e.g. a convolution's chunks on the threads, would wait there for threads that never come.)
// The caller's waits are reported to its TeamWatch (team.h: a team mate that lost its core shows here).
void barrier(int nt) {
#ifdef _OPENMP
    if (nt > 1) {
        const bool timed = TeamWatch::watching();  // the caller; its team mates read no clock
        const long t0 = timed ? TeamWatch::now_ns() : 0;
#pragma omp barrier
        if (timed) TeamWatch::add_barrier_wait(TeamWatch::now_ns() - t0);
    }
#else
    (void)nt;
#endif
}

// A thread's buffer, got inside a parallel region, which no exception may leave: when memory runs
// out, *failed is set and nullptr returned. The team checks the flag after its next barrier (so
// all threads stop at the same point) and gemm_packed throws std::bad_alloc once they are done.
float* buffer_or_flag(Buffer& buffer, size_t n, int* failed) {
    try {
        return buffer.get(n);
    } catch (const std::bad_alloc&) {
        __atomic_store_n(failed, 1, __ATOMIC_RELAXED);
        return nullptr;
    }
}

bool team_failed(const Problem& P) { return __atomic_load_n(P.failed, __ATOMIC_RELAXED) != 0; }

// Claims the next run of work units [start, start + take) from a shared counter: guided
// self-scheduling (big runs first, smaller ones near the end), so a thread that loses its core
// for a while (shared machines) leaves the rest of the work to the others. Returns false when done.
bool claim(int* counter, int total, int nt, int max_take, int& start, int& take) {
    start = __atomic_load_n(counter, __ATOMIC_RELAXED);
    do {
        if (start >= total) return false;
        const int left = total - start;
        take = std::max(1, std::min(max_take, nt == 1 ? left : left / (2 * nt)));
    } while (!__atomic_compare_exchange_n(counter, &start, start + take, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return true;
}

// The five loops for thread `tid` of `nt`. All threads pack the shared B panel together; then
// each claims runs of MR-row panels of C (or, when C has too few rows, runs of NR-column panels),
// packs the A rows it needs and runs the micro-kernel over them. B is double-buffered, so one
// barrier per KC step suffices: a thread can only repack a buffer after everyone has passed the
// barrier that follows the next packing, i.e. after everyone has finished with that buffer.
void gemm_blocked(const Problem& P, int tid, int nt) {
    const GemmKernel& K = *P.K;
    const int MR = K.mr, NR = K.nr;
    const int m_panels = (P.m + MR - 1) / MR;
    const bool split_m = nt == 1 || m_panels >= 2 * nt;
    const int mc_panels = std::max(1, MC_MAX / MR);
    const int nc_max = NC_MAX / NR * NR;
    float* a_packed =
        a_in_place(P, 0, P.m)
            ? nullptr
            : buffer_or_flag(a_buffer, (size_t)(split_m ? mc_panels : m_panels) * MR * P.kc_step, P.failed);

    int round = 0;
    for (int jc = 0; jc < P.n; jc += nc_max) {
        const int nc = std::min(nc_max, P.n - jc);
        const int n_panels = (nc + NR - 1) / NR;
        for (int pc = 0; pc < P.k; pc += P.kc_step, ++round) {
            const int kc = std::min(P.kc_step, P.k - pc);
            const float beta = pc == 0 ? P.beta : 1.0f;
            float* b_packed = P.b_packed + (round & 1) * P.b_half;
            int* counter = &P.counters[round % 3];
            if (tid == 0) P.counters[(round + 1) % 3] = 0;  // its last user finished before this round's barrier
            for (int jp = tid; jp < n_panels; jp += nt) {
                const int nr = std::min(NR, nc - jp * NR);
                if (!b_in_place(P, nr))
                    K.pack_b(kc, nr, b_at(P, pc, jc + jp * NR), P.ldb, P.tb, b_packed + (long)jp * NR * kc);
            }
            barrier(nt);
            if (team_failed(P)) return;
            int start, take;
            while (claim(counter, split_m ? m_panels : n_panels, nt, split_m ? mc_panels : n_panels, start, take)) {
                const int m0 = split_m ? start * MR : 0;
                const int mc = split_m ? std::min(P.m, (start + take) * MR) - m0 : P.m;
                const int j0 = split_m ? 0 : start, j1 = split_m ? n_panels : start + take;
                const int direct = a_rows_in_place(P, m0, mc);  // the rest (the ones row's panel) is packed
                if (direct < mc) pack_a_rows(P, m0 + direct, mc - direct, pc, kc, a_packed);
                const AStrides in_place = a_strides(P, true), packed = a_strides(P, false);
                for (int jp = j0; jp < j1; ++jp) {
                    const int nr = std::min(NR, nc - jp * NR);
                    const bool b_direct = b_in_place(P, nr);
                    const float* bp = b_direct ? b_at(P, pc, jc + jp * NR) : b_packed + (long)jp * NR * kc;
                    float* c = P.C + (long)m0 * P.ldc + jc + jp * NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        const bool a_direct = ir < direct;
                        const AStrides& as = a_direct ? in_place : packed;
                        K.micro(kc, a_direct ? a_at(P, m0 + ir, pc) : a_packed + (long)(ir - direct) * kc, as.row,
                                as.col, bp, b_direct ? P.ldb : NR, c + (long)ir * P.ldc, P.ldc, std::min(MR, mc - ir),
                                nr, P.alpha, beta);
                    }
                }
                if (pc + kc == P.k) finish(P, m0, mc, jc + j0 * NR, std::min(nc, j1 * NR) - j0 * NR);
            }
        }
    }
}

// Schedule for products whose packed A fits in L2 (the MLP's): A is packed once, whole, by all
// threads together (one barrier); then each thread works through units, a unit being one NR-column
// panel of C times a run of its MR-row panels: it packs that column panel of B for the whole k
// (unless it already holds it) and runs the micro-kernel over the unit's rows for every KC block.
// No further barriers and no shared B. Each thread owns a contiguous range of units, taken from
// the front, so it packs each of its B panels once; a thread that runs out steals units from the
// back of the fullest range, so one slowed down by a noisy neighbour leaves little to wait on.
constexpr long SHARED_A_MAX = 256 * 1024;  // floats of packed A: 1 MiB, half of L2
constexpr int SHARED_A_MAX_THREADS = 64;   // unit ranges live in a fixed array

// A range of work units [front, back) in one word, so that its owner (front) and thieves (back)
// update it with a single compare-and-swap.
struct UnitRange {
    alignas(64) unsigned long long word;
};
constexpr unsigned long long pack_range(unsigned front, unsigned back) {
    return (unsigned long long)back << 32 | front;
}

// The next unit for thread `tid`: its own front, else the back of the fullest other range; -1: none left.
int next_unit(UnitRange* ranges, int tid, int nt) {
    for (int victim = tid;;) {
        unsigned long long w = __atomic_load_n(&ranges[victim].word, __ATOMIC_ACQUIRE);
        for (;;) {
            const unsigned front = (unsigned)w, back = (unsigned)(w >> 32);
            if (front >= back) break;
            const bool own = victim == tid;
            const unsigned long long next = own ? pack_range(front + 1, back) : pack_range(front, back - 1);
            if (__atomic_compare_exchange_n(&ranges[victim].word, &w, next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return (int)(own ? front : back - 1);
        }
        victim = -1;  // own range empty: steal from the range with the most left
        unsigned most = 0;
        for (int t = 0; t < nt; ++t) {
            const unsigned long long r = __atomic_load_n(&ranges[t].word, __ATOMIC_ACQUIRE);
            const unsigned left = (unsigned)(r >> 32) - std::min((unsigned)(r >> 32), (unsigned)r);
            if (left > most) most = left, victim = t;
        }
        if (victim < 0) return -1;
    }
}

void gemm_shared_a(const Problem& P, float* a_all, int* pack_next, UnitRange* ranges, int tid, int nt) {
    const GemmKernel& K = *P.K;
    const int MR = K.mr, NR = K.nr;
    const int m_panels = (P.m + MR - 1) / MR, n_panels = (P.n + NR - 1) / NR;
    const long a_block = (long)m_panels * MR * P.kc_step;  // one KC block of packed A
    // Threads claim A's panels four at a time (every KC block of them), so one that loses its core
    // holds the barrier below up by four panels at most.
    constexpr int PANELS_PER_CLAIM = 4;
    const bool a_direct = a_in_place(P, 0, P.m);  // then nothing is packed here
    for (int c; !a_direct && (c = __atomic_fetch_add(pack_next, 1, __ATOMIC_RELAXED)) * PANELS_PER_CLAIM < m_panels;) {
        const int p0 = c * PANELS_PER_CLAIM, p1 = std::min(m_panels, p0 + PANELS_PER_CLAIM);
        for (int pc = 0, b = 0; pc < P.k; pc += P.kc_step, ++b) {
            const int kc = std::min(P.kc_step, P.k - pc);
            pack_a_rows(P, p0 * MR, std::min(P.m, p1 * MR) - p0 * MR, pc, kc, a_all + b * a_block + (long)p0 * MR * kc);
        }
    }
    // Row runs per column panel: enough units (>= 16 per thread) for a fine balance at the end.
    const int runs = std::min(m_panels, std::max(1, (16 * nt + n_panels - 1) / n_panels));
    const int units = n_panels * runs;
    ranges[tid].word = pack_range(units * tid / nt, units * (tid + 1) / nt);
    float* b_panel = buffer_or_flag(b_buffer, (size_t)P.k * NR, P.failed);
    barrier(nt);  // A packed, every range set
    if (team_failed(P)) return;
    const AStrides as = a_strides(P, a_direct);
    int held = -1;
    for (int u; (u = next_unit(ranges, tid, nt)) >= 0;) {
        const int jp = u / runs, run = u % runs;
        const int nr = std::min(NR, P.n - jp * NR);
        const bool b_direct = b_in_place(P, nr);
        if (!b_direct && jp != held) {  // this column panel of B, every KC block, back to back
            for (int pc = 0; pc < P.k; pc += P.kc_step)
                K.pack_b(std::min(P.kc_step, P.k - pc), nr, b_at(P, pc, jp * NR), P.ldb, P.tb,
                         b_panel + (long)pc * NR);
            held = jp;
        }
        const int i0 = m_panels * run / runs, i1 = m_panels * (run + 1) / runs;
        for (int pc = 0, b = 0; pc < P.k; pc += P.kc_step, ++b) {
            const int kc = std::min(P.kc_step, P.k - pc);
            const float beta = pc == 0 ? P.beta : 1.0f;
            const float* bp = b_direct ? b_at(P, pc, jp * NR) : b_panel + (long)pc * NR;
            for (int ip = i0; ip < i1; ++ip)
                K.micro(kc, a_direct ? a_at(P, ip * MR, pc) : a_all + b * a_block + (long)ip * MR * kc, as.row, as.col,
                        bp, b_direct ? P.ldb : NR, P.C + (long)ip * MR * P.ldc + jp * NR, P.ldc,
                        std::min(MR, P.m - ip * MR), nr, P.alpha, beta);
        }
        finish(P, i0 * MR, std::min(P.m, i1 * MR) - i0 * MR, jp * NR, nr);
    }
}

}  // namespace

void gemm_packed(const GemmKernel& K, int nt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                 const float* A, long lda, const float* B, long ldb, float beta, float* C, long ldc,
                 const GemmEpilogue* epilogue, bool ones_row, bool a_in_cache) {
    const int k_blocks = (k + KC_MAX - 1) / KC_MAX;
    int counters[3] = {0, 0, 0}, failed = 0;
    Problem P{&K, trans_a, trans_b, m, n, k, alpha, beta, A, lda, B, ldb, C, ldc,
              (k + k_blocks - 1) / k_blocks, nullptr, 0, counters, &failed, epilogue, AdoptFloatMode::current(),
              ones_row, n <= A_IN_PLACE_MAX_USES * K.nr || (a_in_cache && n <= A_IN_CACHE_MAX_COLS),
              !trans_b && m <= B_IN_PLACE_MAX_ROWS};
#ifndef _OPENMP
    nt = 1;
#endif
    // Reductions of several KC blocks with a small A take the shared-A schedule: the blocked one
    // meets at a barrier per KC block (measured +5-11% on the MLP's m = 256 products, 2 threads);
    // with a single KC block its one shared B panel wins (-2 to -7% for shared A at k = 256).
    const long a_floats = (long)((m + K.mr - 1) / K.mr * K.mr) * k;
    if (nt > 1 && nt <= SHARED_A_MAX_THREADS && k > KC_MAX && a_floats <= SHARED_A_MAX) {
        float* a_all = a_in_place(P, 0, m) ? nullptr : a_shared.get((size_t)a_floats);
        UnitRange ranges[SHARED_A_MAX_THREADS];
        int pack_next = 0;
        TeamWatch watch;
#pragma omp parallel num_threads(nt)
        {
            AdoptFloatMode mode(P.float_mode);
            gemm_shared_a(P, a_all, &pack_next, ranges, omp_get_thread_num(), omp_get_num_threads());
            watch.caller_done();
        }
        if (failed) throw std::bad_alloc();
        return;
    }
    P.b_half = ((long)P.kc_step * (std::min(n, NC_MAX) + K.nr) + 15) / 16 * 16;  // 64-byte aligned
    P.b_packed = b_buffer.get(2 * (size_t)P.b_half);
    if (nt > 1) {
        TeamWatch watch;
#pragma omp parallel num_threads(nt)
        {
            AdoptFloatMode mode(P.float_mode);
            gemm_blocked(P, omp_get_thread_num(), omp_get_num_threads());
            watch.caller_done();
        }
    } else {
        gemm_blocked(P, 0, 1);
    }
    if (failed) throw std::bad_alloc();
}

bool injected_failure() {
    if (__atomic_fetch_sub(&g_inject_after, 1, __ATOMIC_RELAXED) > 0) return false;
    return __atomic_fetch_sub(&g_inject_count, 1, __ATOMIC_RELAXED) > 0;
}

}  // namespace pmdl::detail

namespace pmdl {

void inject_buffer_failures(int after, int count) {
    __atomic_store_n(&detail::g_inject_count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&detail::g_inject_after, after, __ATOMIC_RELAXED);
    __atomic_store_n(&detail::g_inject_count, count, __ATOMIC_RELAXED);
}

}  // namespace pmdl
