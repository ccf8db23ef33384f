// GEMM's front door: checks, the kernel picked for this CPU, the thread count, and the shape
// dispatch: tiny products (the XOR and iris tutorials) take a direct loop, narrow ones are computed
// transposed, the rest go to the packed five loops of gemm_schedule.cpp.
//
// The micro-kernel and the packing that feeds it live in gemm_avx512.cpp, gemm_avx2.cpp and
// gemm_portable.cpp (each compiled with its own flags); one is picked at run time from the CPU.
#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "gemm_kernels.h"
#include "gemm_schedule.h"
#include "team.h"

namespace pmdl {
namespace {

using detail::Buffer;
using detail::GemmKernel;

// Below this many multiply-adds (m*n*k) threads cost more to wake and synchronize than they
// save (~5 us of barrier traffic against ~10 us of work at 64^3)...
constexpr double THREAD_MIN_VOLUME = 96.0 * 96.0 * 96.0;
// ...unless C has a few rows (two panels of the 6-row tile) and B is large (1 MiB, half a core's L2):
// then reading B is the work (784-512-512-10, one sample: 180 -> ~90 us on 2 threads, ~50 with the
// few-rows tile).
constexpr int FEW_ROWS = 12;
constexpr double LARGE_B_FLOATS = 256.0 * 1024.0;

// At or below this volume (and n <= 64) the direct path wins: packing and tile padding cost more
// than the arithmetic (measured: 32x4x32 0.5 us direct vs 1.6 us packed; 64^3 ~88 against ~70
// GFLOP/s, 64x48x64 ~85 against ~60; from 64x64x128 up the two are level). The tutorials'
// shapes (1x2x2, 32x4x32) are far below it.
constexpr double DIRECT_MAX_VOLUME = 64.0 * 64.0 * 64.0;

const GemmKernel& pick_kernel() {
    // PYMINIDL_GEMM_KERNEL=avx2|portable forces a lesser kernel (for tests); never a greater one.
#if defined(__x86_64__) || defined(__i386__)
    const char* force = std::getenv("PYMINIDL_GEMM_KERNEL");
    const bool want_avx2 = force && !std::strcmp(force, "avx2");
    const bool want_portable = force && !std::strcmp(force, "portable");
    __builtin_cpu_init();
    if (!want_avx2 && !want_portable && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq"))
        return detail::kernel_avx512;
    if (!want_portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return detail::kernel_avx2;
#endif
    return detail::kernel_portable;
}

// Picked once, when the module loads (PYMINIDL_GEMM_KERNEL must be set before the import).
const GemmKernel& g_kernel = pick_kernel();

const GemmKernel& kernel() { return g_kernel; }

// At most this many threads: 4 per core, or 8, and never past 1024. libgomp ends the process (exit code 1,
// no exception) when it cannot create a thread, so counts far past the cores are refused up front.
int max_threads() {
    const long cores = std::max(1u, std::thread::hardware_concurrency());
    return (int)std::min(1024L, std::max(8L, 4 * cores));
}

int default_threads() {
#ifdef _OPENMP
    return std::min(omp_get_max_threads(), max_threads());  // honours OMP_NUM_THREADS, within the limit
#else
    return 1;
#endif
}

int g_threads = default_threads();

// fork(): libgomp keeps its worker threads in a pool that a child inherits without the threads (only the
// forking thread survives), so the child's first parallel region would wait for them forever. The child
// therefore runs single-threaded: every threaded loop here takes its one-thread path when g_threads is 1,
// without entering a parallel region. (libgomp offers no way to rebuild its pool in the child.)
bool g_forked_child = false;
void child_after_fork() {
    g_threads = 1;
    g_forked_child = true;
}
[[maybe_unused]] const int g_atfork_registered = pthread_atfork(nullptr, nullptr, child_after_fork);

// How many of n - 1 extra threads the system lets us create right now (all alive at once, as an OpenMP
// team's are), plus the caller: set_num_threads falls back to that many instead of letting libgomp fail.
int threads_creatable(int n) {
    struct Gate {
        std::mutex m;
        std::condition_variable cv;
        bool open = false;
    } gate;
    std::vector<pthread_t> made;
    made.reserve(n);
    auto wait = [](void* g) -> void* {
        Gate& gate = *static_cast<Gate*>(g);
        std::unique_lock<std::mutex> lock(gate.m);
        gate.cv.wait(lock, [&] { return gate.open; });
        return nullptr;
    };
    for (int i = 1; i < n; ++i) {
        pthread_t t;
        if (pthread_create(&t, nullptr, wait, &gate) != 0) break;
        made.push_back(t);
    }
    {
        std::lock_guard<std::mutex> lock(gate.m);
        gate.open = true;
    }
    gate.cv.notify_all();
    for (pthread_t t : made) pthread_join(t, nullptr);
    return 1 + (int)made.size();
}

bool in_parallel() {
#ifdef _OPENMP
    return omp_in_parallel();
#else
    return false;
#endif
}

// Threads for a product of m*n*k = volume multiply-adds. A product called from inside a parallel
// region (a convolution's chunks spread over the threads) runs on its caller's thread alone: the
// threads are already busy, and a nested team's barriers would wait for threads that never come.
// On a shared machine, team_threads keeps regions on the caller's thread while the team is late (team.h).
int threads_for(double volume) {
    return volume >= THREAD_MIN_VOLUME && !in_parallel() ? team_threads(g_threads, volume) : 1;
}

// C = beta*C, with beta == 0 writing zeros (never reading C).
void scale_c(int m, int n, float beta, float* C, int ldc) {
    for (int i = 0; i < m; ++i) {
        float* c = C + (long)i * ldc;
        if (beta == 0.0f) std::fill(c, c + n, 0.0f);
        else if (beta != 1.0f) for (int j = 0; j < n; ++j) c[j] *= beta;
    }
}

// Direct path for tiny products: no packing, no buffers, no threads. Accumulates one row of C
// in a local array (no aliasing with A, B or C, so the compiler keeps it in registers/vectors).
constexpr int DIRECT_MAX_N = 64;

void gemm_direct(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, long lda,
                 const float* B, long ldb, float beta, float* C, long ldc) {
    float acc[DIRECT_MAX_N];
    for (int i = 0; i < m; ++i) {
        if (!tb) {  // acc = sum_p a_ip * B_row_p: unit stride in B
            for (int j = 0; j < n; ++j) acc[j] = 0.0f;
            for (int p = 0; p < k; ++p) {
                const float a = ta ? A[(long)p * lda + i] : A[(long)i * lda + p];
                const float* b = B + (long)p * ldb;
                for (int j = 0; j < n; ++j) acc[j] += a * b[j];
            }
        } else {  // acc_j = dot(A_row_i, B_row_j): unit stride along k in B
            for (int j = 0; j < n; ++j) {
                const float* b = B + (long)j * ldb;
                float s = 0.0f;
                if (!ta) {
                    const float* a = A + (long)i * lda;
                    for (int p = 0; p < k; ++p) s += a[p] * b[p];
                } else {
                    for (int p = 0; p < k; ++p) s += A[(long)p * lda + i] * b[p];
                }
                acc[j] = s;
            }
        }
        float* c = C + (long)i * ldc;
        if (beta == 0.0f) for (int j = 0; j < n; ++j) c[j] = alpha * acc[j];
        else for (int j = 0; j < n; ++j) c[j] = alpha * acc[j] + beta * c[j];
    }
}

// Tile work of an m x n output: C rounded up to whole tiles, the narrow tile counted 10% dearer
// (the main tile runs ~6% faster, so a few rows less padding, 784 against 786, does not pay).
double tile_cost(const GemmKernel& t, int m, int n) {
    const double padded = (double)((m + t.mr - 1) / t.mr * t.mr) * ((n + t.nr - 1) / t.nr * t.nr);
    return &t == &kernel() ? padded : 1.1 * padded;
}

// The few-rows tile for an output of a row or two, else the cheaper of the main tile and its
// narrow sibling for an m x n output.
const GemmKernel& tile_for(int m, int n) {
    const GemmKernel& K = kernel();
    if (K.few && m <= K.few_rows) return *K.few;
    return K.narrow && tile_cost(*K.narrow, m, n) < tile_cost(K, m, n) ? *K.narrow : K;
}

// dst (cols x rows) = src (rows x cols, row stride ld_src) transposed; dst has row stride ld_dst.
void transpose(int rows, int cols, const float* src, long ld_src, float* dst, long ld_dst) {
    constexpr int T = 32;  // blocks of 32 x 32 keep both sides' lines in L1
    for (int i0 = 0; i0 < rows; i0 += T)
        for (int j0 = 0; j0 < cols; j0 += T)
            for (int j = j0; j < std::min(cols, j0 + T); ++j)
                for (int i = i0; i < std::min(rows, i0 + T); ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
}

thread_local Buffer c_buffer;  // C transposed, for narrow products computed the other way round

// c[j] = alpha * (sum over p of op(B)(p, j)) + beta * c[j], each sum taken in order of p. These
// routes serve tiny or narrow products (XOR's 1 x 2, the softmax layer's 10 columns): plain loops,
// over whole rows of B when it is not transposed (a column at a time strides through B: on the
// iris tutorial that took a tenth of the fit).
void column_sums(bool trans_b, int n, int k, float alpha, const float* B, long ldb, float beta, float* c) {
    auto store = [&](int j, float s) { c[j] = beta != 0.0f ? alpha * s + beta * c[j] : alpha * s; };
    if (trans_b) {
        for (int j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int p = 0; p < k; ++p) s += B[(long)j * ldb + p];
            store(j, s);
        }
        return;
    }
    constexpr int W = 64;
    float acc[W];
    for (int j0 = 0; j0 < n; j0 += W) {
        const int w = std::min(W, n - j0);
        std::fill(acc, acc + w, 0.0f);
        for (int p = 0; p < k; ++p) {
            const float* b = B + (long)p * ldb + j0;
            for (int j = 0; j < w; ++j) acc[j] += b[j];
        }
        for (int j = 0; j < w; ++j) store(j0 + j, acc[j]);
    }
}

// Narrow products computed transposed, the rest by the packed loops.
void gemm_routes(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc, const GemmEpilogue* epilogue,
                 bool ones_row, bool a_in_cache) {
    const int rows = m + ones_row;  // of C
    const double volume = (double)rows * n * k;
    // A narrow C (n = 10: the softmax layer) fills a tile's 64 columns with padding; C^T =
    // op(B)^T op(A)^T puts the long side there instead (m = 10 pads to 12 rows). Every element is
    // still one FMA chain over k in the same order (a*b == b*a), so the result is bit-identical.
    if (k >= 32 && tile_cost(tile_for(n, rows), n, rows) * 1.5 < tile_cost(tile_for(rows, n), rows, n)) {
        float* ct = c_buffer.get((size_t)n * m);
        if (beta != 0.0f) transpose(m, n, C, ldc, ct, m);
        detail::gemm_packed(tile_for(n, m), threads_for(volume), !trans_b, !trans_a, n, m, k, alpha, B, ldb, A,
                            lda, beta, ct, m, nullptr);
        transpose(n, m, ct, m, C, ldc);
        if (ones_row) column_sums(trans_b, n, k, alpha, B, ldb, beta, C + (long)m * ldc);
        if (epilogue) epilogue->apply(epilogue->context, 0, rows, 0, n);
        return;
    }
    // A few rows against a large B (one-sample predictions): reading B dominates, and split over the
    // threads each core's share stays in its own L2 from one call to the next.
    const bool few_rows = rows <= FEW_ROWS && (double)k * n >= LARGE_B_FLOATS && !in_parallel();
    const int nt = few_rows ? team_threads(g_threads, volume) : threads_for(volume);
    detail::gemm_packed(tile_for(rows, n), nt, trans_a, trans_b, rows, n, k, alpha, A, lda, B,
                        ldb, beta, C, ldc, epilogue, ones_row, a_in_cache);
}

// std::bad_alloc that says which product ran out of memory for its buffers (Python: MemoryError).
class GemmOutOfMemory : public std::bad_alloc {
public:
    GemmOutOfMemory(int m, int n, int k)
        : text_("out of memory: the matrix multiply (" + std::to_string(m) + " x " + std::to_string(n) + " x " +
                std::to_string(k) + ") could not get its packing buffers") {}
    const char* what() const noexcept override { return text_.c_str(); }
private:
    std::string text_;
};

// Products past the direct path's size, the only ones that need buffers: out of memory for them is
// reported with the product's dimensions as the caller gave them. Kept out of line, so that the
// tutorials' tiny products reach their kernel in a few instructions.
[[gnu::noinline]] void gemm_large(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* A,
                                  int lda, const float* B, int ldb, float beta, float* C, int ldc,
                                  const GemmEpilogue* epilogue, bool ones_row, bool a_in_cache) {
    try {
        gemm_routes(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, ones_row, a_in_cache);
    } catch (const std::bad_alloc&) {
        throw GemmOutOfMemory(m, n, k);
    }
}

// gemm (ones_row false) and gemm_with_sums (true: C has m + 1 rows, the last one for op(B)'s
// column sums); the packed path puts the ones in A's padding, the others add the sums after.
void gemm_rows(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* A, int lda,
               const float* B, int ldb, float beta, float* C, int ldc, const GemmEpilogue* epilogue,
               bool ones_row, bool a_in_cache = false) {
    if (m < 0 || n < 0 || k < 0) throw std::invalid_argument("gemm: negative dimension");
    const int rows = m + ones_row;  // of C
    if (rows == 0 || n == 0) return;
    auto whole = [&] { if (epilogue) epilogue->apply(epilogue->context, 0, rows, 0, n); };
    if (k == 0 || alpha == 0.0f) return scale_c(rows, n, beta, C, ldc), whole();
    // The SIMD direct path beats packing up to 64^3; the plain loop only on the tutorials' shapes.
    if (n <= DIRECT_MAX_N && (double)rows * n * k <= (kernel().direct ? DIRECT_MAX_VOLUME : 4096.0)) {
        (kernel().direct ? kernel().direct : gemm_direct)(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb,
                                                          beta, C, ldc);
        if (ones_row) column_sums(trans_b, n, k, alpha, B, ldb, beta, C + (long)m * ldc);
        return whole();
    }
    gemm_large(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, ones_row, a_in_cache);
}

}  // namespace

int set_num_threads(int n) {
    if (n < 1 || n > max_threads())
        throw std::invalid_argument("num_threads must be between 1 and " + std::to_string(max_threads()) +
                                    " (4 per core, at least 8), got " + std::to_string(n));
#ifdef _OPENMP
    if (g_forked_child) return g_threads = 1;  // see child_after_fork
    if (n > g_threads) n = threads_creatable(n);
#endif
    return g_threads = n;
}
int max_num_threads() { return max_threads(); }
int get_num_threads() { return g_threads; }
const char* gemm_kernel_name() { return kernel().name; }

double measure_peak_gflops(int threads) {
    const GemmKernel& K = kernel();
    threads = g_forked_child ? 1 : std::max(1, threads);  // no parallel region in a child of fork()
    const long iters = 2000000;  // ~10-20 ms of FMAs per thread
    double best = 0.0;
    for (int rep = 0; rep < 4; ++rep) {  // the first run also wakes the wide units up
#ifdef _OPENMP
        double flops = 0.0;
        const double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        flops += K.fma_loop(iters);
        const double dt = omp_get_wtime() - t0;
#else
        const auto t0 = std::chrono::steady_clock::now();
        const double flops = K.fma_loop(iters);
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#endif
        best = std::max(best, flops / dt * 1e-9);
    }
    return best;
}

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const GemmEpilogue* epilogue, bool a_in_cache) {
    gemm_rows(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue, false, a_in_cache);
}

void gemm_with_sums(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc, bool a_in_cache) {
    gemm_rows(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, nullptr, true, a_in_cache);
}

}  // namespace pmdl
