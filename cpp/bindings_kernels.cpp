// pybind11 glue: kernels exposed for tests and benchmarks (gemm, activations, losses, metrics) and test hooks.
#include <algorithm>
#include <chrono>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "activations.h"
#include "aligned.h"
#include "bindings_common.h"
#include "gemm.h"
#include "losses.h"
#include "metrics.h"
#include "scan.h"
#include "team.h"
#include "vmath.h"

namespace pmdl::bind {

void bind_kernels(py::module_& m) {
    // gemm, or with sums gemm_with_sums (c has one row more: alpha * the column sums of op(b)).
    auto gemm_binding = [](bool sums) {
        return [sums](FloatArray a, FloatArray b, std::optional<FloatArray> c, bool trans_a, bool trans_b,
                      float alpha, float beta) {
            const char* name = sums ? "gemm_with_sums" : "gemm";
            if (a.ndim() != 2 || b.ndim() != 2) throw py::value_error(std::string(name) + ": a and b must be 2-D");
            const long m_ = trans_a ? a.shape(1) : a.shape(0), k = trans_a ? a.shape(0) : a.shape(1);
            const long kb = trans_b ? b.shape(1) : b.shape(0), n = trans_b ? b.shape(0) : b.shape(1);
            if (k != kb)
                throw py::value_error(std::string(name) + ": inner dimensions differ: " + std::to_string(k) + " and " +
                                      std::to_string(kb));
            FloatArray out = c ? *c : FloatArray({m_ + sums, n});
            if (!c) beta = 0.0f;
            check_2d(out, (std::string(name) + ": c").c_str(), m_ + sums, n);
            if (c && !out.writeable()) throw py::value_error(std::string(name) + ": c is read-only");
            const float *pa = a.data(), *pb = b.data();
            float* pc = out.mutable_data();
            const int M = as_int(m_, "m"), N = as_int(n, "n"), K = as_int(k, "k");
            const int lda = std::max(as_int(a.shape(1), "lda"), 1), ldb = std::max(as_int(b.shape(1), "ldb"), 1);
            {
                py::gil_scoped_release release;
                if (sums) gemm_with_sums(trans_a, trans_b, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, std::max(N, 1));
                else gemm(trans_a, trans_b, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, std::max(N, 1));
            }
            return out;
        };
    };
    m.def("gemm", gemm_binding(false), py::arg("a"), py::arg("b"), py::arg("c") = py::none(),
          py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f,
          "C = alpha * op(a) @ op(b) + beta * c (c is updated in place when given; it must be float32 C-contiguous)");
    m.def("gemm_with_sums", gemm_binding(true), py::arg("a"), py::arg("b"), py::arg("c") = py::none(),
          py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f,
          "gemm with one more row of c: alpha * the column sums of op(b) (+ beta * that row of c)");
    m.def("count_nonfinite", [](py::array_t<float, py::array::c_style> x) {
        const float* p = x.data();
        const long n = (long)x.size();
        py::gil_scoped_release release;
        return count_nonfinite(p, n);
    }, py::arg("x"), "number of NaN and infinite values in a float32 C-contiguous array");
    m.def("set_num_threads", [](long n) {  // long: a huge count gets the range error, not a type error
        return set_num_threads((int)std::max<long>(-1, std::min<long>(n, 1L << 30)));
    }, py::arg("n"), "threads to use, in [1, max_num_threads()]; returns the count in use (fewer when the "
       "system would not create that many, 1 in a child of fork())");
    m.def("max_num_threads", &max_num_threads);
    m.def("_require_memory", [](double bytes, const std::string& what) {
        require_memory(bytes > 9e18 ? (size_t)9e18 : (size_t)std::max(0.0, bytes), what.c_str());
    }, py::arg("bytes"), py::arg("what"), "MemoryError naming `what` when `bytes` exceed the memory available");
    m.def("get_num_threads", &get_num_threads);
    m.def("_inject_buffer_failures", &inject_buffer_failures, py::arg("after"), py::arg("count"),
          "test hook: of the GEMM's next buffer requests, `after` succeed, then `count` fail (MemoryError)");
    m.def("_team_judge", [](double work_ms, double wait_ms) {
        return team_judge((long)(work_ms * 1e6), (long)(wait_ms * 1e6), TeamWatch::now_ns());
    }, py::arg("work_ms"), py::arg("wait_ms"),
          "test hook: judge a region whose caller worked work_ms and waited wait_ms for its team (team.h)");
    m.def("_team_reset", &team_reset, "test hook: trust the team again at once");
    m.def("_team_set_judging", &team_set_judging, py::arg("on"), "test hook: the late-team rule on or off");
    m.def("_team_late_count", &team_late_count, "how many times a team was judged late (cpp/team.h)");
    m.def("_team_threads", &team_threads, py::arg("wanted"), py::arg("work") = 0.0,
          "test hook: the threads a region of `work` multiply-adds would start now");
    m.def("_team_region", [](double caller_ms, double mate_ms) -> py::object {
#ifdef _OPENMP
        {
            py::gil_scoped_release release;
            auto spin = [](double ms) {
                const long until = TeamWatch::now_ns() + (long)(ms * 1e6);
                while (TeamWatch::now_ns() < until) {
                }
            };
            TeamWatch watch;
#pragma omp parallel num_threads(2)
            {
                if (omp_get_thread_num() == 0) spin(caller_ms), watch.caller_done();
                else std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(mate_ms));
            }
        }
        return py::bool_(team_judged_late());
#else
        (void)caller_ms, (void)mate_ms;
        return py::none();  // no OpenMP: no team
#endif
    }, py::arg("caller_ms"), py::arg("mate_ms"),
          "test hook: a 2-thread region whose caller works caller_ms while its team mate is away mate_ms; "
          "returns whether the team was judged late (None without OpenMP)");
    m.def("_team_judged_late", &team_judged_late, "test hook: whether parallel regions run on one thread now");
    m.def("_vmath", [](const std::string& name, py::array_t<float, py::array::c_style> x) {
        float (*f)(float) = name == "log" ? vmath::log : name == "log1p" ? vmath::log1p : nullptr;
        if (!f) throw py::value_error("_vmath: name must be 'log' or 'log1p', got '" + name + "'");
        py::array_t<float> y(x.size());
        for (py::ssize_t i = 0; i < x.size(); ++i) y.mutable_data()[i] = f(x.data()[i]);
        return y;
    }, py::arg("name"), py::arg("x"), "test hook: cpp/vmath.h's log or log1p of each element (a flat copy)");
    m.def("gemm_kernel_name", &gemm_kernel_name);
    m.def("measure_peak_gflops", [](int threads) {
        if (threads < 1) throw py::value_error("threads must be positive");
        py::gil_scoped_release release;
        return measure_peak_gflops(threads);
    }, py::arg("threads") = 1);

    m.def("act_forward", [](Act act, float alpha, FloatArray z) {
        check_2d(z, "z", -1, -1);
        FloatArray y({z.shape(0), z.shape(1)});
        act_forward(act, alpha, z.data(), y.mutable_data(), (int)z.shape(0), (int)z.shape(1));
        return y;
    }, py::arg("act"), py::arg("alpha"), py::arg("z"));
    m.def("act_backward", [](Act act, float alpha, FloatArray z, FloatArray y, FloatArray dy) {
        check_2d(z, "z", -1, -1);
        check_2d(y, "y", z.shape(0), z.shape(1));
        check_2d(dy, "dy", z.shape(0), z.shape(1));
        FloatArray dz({z.shape(0), z.shape(1)});
        act_backward(act, alpha, z.data(), y.data(), dy.data(), dz.mutable_data(), (int)z.shape(0), (int)z.shape(1));
        return dz;
    }, py::arg("act"), py::arg("alpha"), py::arg("z"), py::arg("y"), py::arg("dy"));
    m.def("loss_batch", [](const LossConfig& cfg, Act act, float alpha, FloatArray z, FloatArray p, FloatArray y,
                           std::optional<FloatArray> w, float scale) {
        check_2d(z, "z", -1, -1);
        check_2d(p, "p", z.shape(0), z.shape(1));
        check_2d(y, "y", z.shape(0), cfg.kind == Loss::SparseCategoricalCrossentropy ? 1 : z.shape(1));
        FloatArray g({z.shape(0), z.shape(1)});
        double total = loss_batch(cfg, act, alpha, z.data(), p.data(), y.data(), weights_ptr(w, z.shape(0)),
                                  (int)z.shape(0), (int)z.shape(1), scale, g.mutable_data());
        return py::make_tuple(total, g);
    }, py::arg("config"), py::arg("act"), py::arg("alpha"), py::arg("z"), py::arg("p"), py::arg("y"),
       py::arg("w") = py::none(), py::arg("scale") = 1.0f);
    m.def("metric_batch", [](Metric metric, FloatArray p, FloatArray y) {
        check_2d(p, "p", -1, -1);
        check_2d(y, "y", p.shape(0), metric_takes_labels(metric) ? 1 : p.shape(1));
        return metric_batch(metric, p.data(), y.data(), (int)p.shape(0), (int)p.shape(1), 0.5f);
    }, py::arg("metric"), py::arg("p"), py::arg("y"));
    // One metric's value over one batch, as an epoch of that single batch would log it (test hook; also
    // what a metric object's update_state/result compute in Python).
    m.def("metric_value", [](const MetricConfig& cfg, FloatArray p, FloatArray y, std::optional<FloatArray> z,
                             Act act, float alpha) {
        check_2d(p, "p", -1, -1);
        check_2d(y, "y", p.shape(0), metric_takes_labels(cfg.kind) ? 1 : p.shape(1));
        if (z) check_2d(*z, "z", p.shape(0), p.shape(1));
        check_enum(act, "activation");
        MetricSet set({cfg});
        MetricBatch b;
        b.p = p.data(), b.y = y.data(), b.z = z ? z->data() : nullptr, b.act = act, b.alpha = alpha;
        b.rows = (int)p.shape(0), b.cols = (int)p.shape(1);
        set.update(b);
        double out = 0.0;
        set.results(static_cast<double>(b.rows), &out);
        return out;
    }, py::arg("config"), py::arg("p"), py::arg("y"), py::arg("z") = py::none(), py::arg("act") = Act::Linear,
       py::arg("alpha") = 0.0f);
}

}  // namespace pmdl::bind
