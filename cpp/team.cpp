// The late-team rule of team.h.
#include "team.h"

#include <algorithm>
#include <chrono>

namespace pmdl {
namespace {

constexpr long kMs = 1000000;
constexpr long kLateMinNs = kMs / 2;        // a wait shorter than this is a region's normal imbalance
constexpr long kAloneFirstNs = 50 * kMs;     // the first stretch on the caller's thread alone ...
constexpr long kAloneMaxNs = 1000 * kMs;     // ... doubling while the team stays late, up to this
constexpr long kForgetNs = 10000 * kMs;      // without a late team for this long, start again from the first

// Shared by every caller (Python threads may run several models at once): relaxed atomics, since a stale
// value only means one region more or less on one thread.
long g_alone_until = 0;
long g_alone_for = kAloneFirstNs;
long g_last_late = 0;
long g_late_count = 0;  // late teams judged so far (benchmarks report it)
bool g_judging = true;  // tests that compare thread counts turn the rule off (a late team would hide one)

thread_local TeamWatch* t_watch = nullptr;  // the watch this thread is the caller of, if any

}  // namespace

long TeamWatch::now_ns() {
    return (long)std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()).count();
}

int team_threads(int wanted, double work) {
    if (wanted <= 1 || work >= kSmallRegionWork) return wanted;
    if (__atomic_load_n(&g_alone_until, __ATOMIC_RELAXED) == 0) return wanted;  // never judged late: no clock read
    return TeamWatch::now_ns() < __atomic_load_n(&g_alone_until, __ATOMIC_RELAXED) ? 1 : wanted;
}

TeamWatch::TeamWatch() : start_(now_ns()) {
    if (!t_watch) t_watch = this;
}

void TeamWatch::caller_done() {
    if (t_watch == this) done_ = now_ns();
}

bool TeamWatch::watching() { return t_watch != nullptr; }

void TeamWatch::add_barrier_wait(long ns) {
    if (t_watch) t_watch->barrier_waits_ += ns;
}

TeamWatch::~TeamWatch() {
    if (t_watch != this) return;
    t_watch = nullptr;
    const long end = now_ns();
    const long wait = barrier_waits_ + (done_ ? end - done_ : 0);
    team_judge(end - start_ - wait, wait, end);
}

bool team_judge(long work_ns, long wait_ns, long end) {
    if (!__atomic_load_n(&g_judging, __ATOMIC_RELAXED)) return false;
    if (wait_ns < kLateMinNs || wait_ns < 2 * work_ns) return false;
    __atomic_fetch_add(&g_late_count, 1L, __ATOMIC_RELAXED);
    long alone_for = __atomic_load_n(&g_alone_for, __ATOMIC_RELAXED);
    if (end - __atomic_load_n(&g_last_late, __ATOMIC_RELAXED) > kForgetNs) alone_for = kAloneFirstNs;
    __atomic_store_n(&g_last_late, end, __ATOMIC_RELAXED);
    __atomic_store_n(&g_alone_until, end + alone_for, __ATOMIC_RELAXED);
    __atomic_store_n(&g_alone_for, std::min(2 * alone_for, kAloneMaxNs), __ATOMIC_RELAXED);
    return true;
}

void team_set_judging(bool on) {
    __atomic_store_n(&g_judging, on, __ATOMIC_RELAXED);
    team_reset();
}

void team_reset() {
    __atomic_store_n(&g_alone_until, 0L, __ATOMIC_RELAXED);
    __atomic_store_n(&g_alone_for, kAloneFirstNs, __ATOMIC_RELAXED);
    __atomic_store_n(&g_last_late, 0L, __ATOMIC_RELAXED);
}

long team_late_count() { return __atomic_load_n(&g_late_count, __ATOMIC_RELAXED); }

bool team_judged_late() { return TeamWatch::now_ns() < __atomic_load_n(&g_alone_until, __ATOMIC_RELAXED); }

}  // namespace pmdl
