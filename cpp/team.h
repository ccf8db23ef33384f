// Parallel regions on a shared machine (issue 18, tail latency). When another process keeps a core busy,
// a thread of our team can lose its core for a scheduler slice (milliseconds) while the caller waits for
// it at a barrier or at the region's end: a 1 ms evaluate() then takes 5-10 ms on two threads, though one
// thread alone (which has a core) is never delayed. So each region is timed on the caller's thread: when the
// caller waited for its team longer than twice its own work, and at least 0.5 ms, the team was late, and
// small regions (up to ~1 ms of work on one core) run on the caller's thread alone for a while: 50 ms,
// doubling while the team stays late, up to a second; then one region tries the team again. Ten seconds
// without a late team reset the wait to 50 ms. Larger regions keep the team: a late mate costs them a
// slice, small against their time, and going alone would double it. Results never depend on the thread
// count (every threaded loop is built so), so this changes time only.
#pragma once

namespace pmdl {

// Work of a region in multiply-adds (a memory-bound pass: ~8 per float) below which it runs alone while the
// team is judged late: 32M, ~1 ms on one core (a 0.2-1 ms evaluate() is made of such regions; a step of
// the 784-512-512-10 MLP at batch 256 is not).
constexpr double kSmallRegionWork = 32.0 * 1024 * 1024;

// The threads a region of `work` multiply-adds that wants `wanted` should start now: `wanted`, or 1 for a
// small one while the team is judged late.
int team_threads(int wanted, double work);

// Times one parallel region. Constructed on the caller's thread just before the region, destroyed just after
// it: the destructor judges the team. Inside the region the caller calls caller_done() when its own share of
// the work is done (any thread may call it; only the caller's call counts), and team barriers report their
// waits through add_barrier_wait().
class TeamWatch {
public:
    TeamWatch();
    ~TeamWatch();
    TeamWatch(const TeamWatch&) = delete;
    TeamWatch& operator=(const TeamWatch&) = delete;
    void caller_done();
    // The calling thread's wait at a barrier of its team, counted when it is the watch's caller.
    static void add_barrier_wait(long ns);
    // Whether this thread is the caller of a watched region (only its barrier waits are timed).
    static bool watching();
    static long now_ns();

private:
    long start_, done_ = 0, barrier_waits_ = 0;
};

// The rule itself: a region whose caller worked work_ns and waited wait_ns for its team, ending at end_ns
// (TeamWatch::now_ns()); returns whether the team was late (and regions now run alone for a while).
bool team_judge(long work_ns, long wait_ns, long end_ns);

// For tests: forget any judgement (the team is trusted again at once); whether regions run alone now; and
// the rule on or off (the suite turns it off, so that its 1-vs-2-thread comparisons really use two threads).
void team_reset();
void team_set_judging(bool on);
// How many times a team was judged late since the module loaded (benchmarks print it).
long team_late_count();
bool team_judged_late();

}  // namespace pmdl
