// pybind11 glue for pyminidl._core: argument checks at the boundary, the GIL released around compute.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "activations.h"
#include "gemm.h"
#include "losses.h"
#include "metrics.h"
#include "network.h"
#include "optimizers.h"
#include "scan.h"
#include "vmath.h"

namespace py = pybind11;
using namespace pmdl;

void bind_conv_hooks(py::module_& m);  // bindings_conv_hooks.cpp

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Below this many multiply-adds a call keeps the GIL: releasing and re-taking it costs more.
constexpr long kReleaseGilAbove = 1L << 16;

// Throws ValueError unless `a` is 2-D with `cols` columns (cols < 0: any) and `rows` rows (rows < 0: any).
void check_2d(const FloatArray& a, const char* name, long rows, long cols) {
    auto shape_text = [&] {
        std::string s = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
        return s + (a.ndim() == 1 ? ",)" : ")");
    };
    if (a.ndim() != 2 || (cols >= 0 && a.shape(1) != cols) || (rows >= 0 && a.shape(0) != rows))
        throw py::value_error(std::string(name) + ": expected shape (" + (rows >= 0 ? std::to_string(rows) : "n") +
                              ", " + (cols >= 0 ? std::to_string(cols) : "m") + "), got " + shape_text());
}

const float* weights_ptr(const std::optional<FloatArray>& w, long n) {
    if (!w) return nullptr;
    if (w->ndim() != 1 || w->shape(0) != n)
        throw py::value_error("sample weights: expected shape (" + std::to_string(n) + ",)");
    return w->data();
}

int as_int(long v, const char* name) {
    if (v < 0 || v > 0x7fffffffL) throw py::value_error(std::string(name) + " out of range");
    return static_cast<int>(v);
}

// A NumPy view onto memory owned by `owner` (kept alive by the view).
py::array view(py::object owner, float* data, std::vector<py::ssize_t> shape) {
    std::vector<py::ssize_t> strides(shape.size());
    py::ssize_t step = sizeof(float);
    for (size_t i = shape.size(); i-- > 0;) { strides[i] = step; step *= shape[i]; }
    return py::array_t<float>(shape, strides, data, owner);
}

// Checks a data set for the network: x (n, input_dim), y (n, y_cols), optional weights (n,); returns the
// weights pointer (null without weights). `what` prefixes the argument names ("validation ").
const float* check_samples(Network& n, const FloatArray& x, const FloatArray& y, const std::optional<FloatArray>& w,
                           const std::string& what) {
    check_2d(x, (what + "x").c_str(), -1, n.input_dim());
    check_2d(y, (what + "y").c_str(), x.shape(0), n.y_cols());
    return weights_ptr(w, x.shape(0));
}

void check_shuffle_mode(int mode) {
    if (mode < 0 || mode > 2) throw py::value_error("shuffle_mode must be 0, 1 or 2, got " + std::to_string(mode));
}

// One view per weight tensor of the network `self`, over `base` (its parameters or gradients).
py::list tensor_views(py::object self, float* base) {
    py::list out;
    for (const TensorSlot& t : self.cast<Network&>().tensors()) {
        std::vector<py::ssize_t> shape = t.is_bias ? std::vector<py::ssize_t>{t.rows}
                                                   : std::vector<py::ssize_t>{t.rows, t.cols};
        out.append(view(self, base + t.offset, shape));
    }
    return out;
}

// Network::predict into a new (n, output_dim) array, x already checked.
FloatArray predict(Network& n, const FloatArray& x, int batch_size) {
    FloatArray out({x.shape(0), (py::ssize_t)n.output_dim()});
    const int N = as_int(x.shape(0), "n");
    const float* px = x.data();
    float* po = out.mutable_data();
    std::unique_lock<std::mutex> lock(n.mutex, std::defer_lock);
    // Tiny work keeps the GIL (a release/re-take costs more), unless another thread holds the network.
    if ((long)N * n.num_params() < kReleaseGilAbove && lock.try_lock()) {
        n.predict(px, N, batch_size, po);
    } else {
        py::gil_scoped_release release;
        lock.lock();
        n.predict(px, N, batch_size, po);
        lock.unlock();
    }
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyminidl's C++ core: GEMM, activations, losses, optimizers and the dense network";

    py::enum_<Act>(m, "Act")
        .value("linear", Act::Linear).value("relu", Act::Relu).value("sigmoid", Act::Sigmoid)
        .value("tanh", Act::Tanh).value("softmax", Act::Softmax).value("elu", Act::Elu).value("selu", Act::Selu)
        .value("softplus", Act::Softplus).value("softsign", Act::Softsign).value("swish", Act::Swish)
        .value("gelu", Act::Gelu).value("leaky_relu", Act::LeakyRelu).value("relu6", Act::Relu6)
        .value("hard_sigmoid", Act::HardSigmoid).value("exponential", Act::Exponential).value("mish", Act::Mish)
        .value("gelu_approximate", Act::GeluApprox);
    py::enum_<Loss>(m, "Loss")
        .value("mse", Loss::MSE).value("mae", Loss::MAE).value("binary_crossentropy", Loss::BinaryCrossentropy)
        .value("categorical_crossentropy", Loss::CategoricalCrossentropy)
        .value("sparse_categorical_crossentropy", Loss::SparseCategoricalCrossentropy).value("huber", Loss::Huber);
    py::enum_<Metric>(m, "Metric")
        .value("binary_accuracy", Metric::BinaryAccuracy).value("categorical_accuracy", Metric::CategoricalAccuracy)
        .value("sparse_categorical_accuracy", Metric::SparseCategoricalAccuracy)
        .value("mse", Metric::MSE).value("mae", Metric::MAE);
    py::enum_<Opt>(m, "Opt")
        .value("sgd", Opt::SGD).value("rmsprop", Opt::RMSprop).value("adam", Opt::Adam).value("adamw", Opt::AdamW)
        .value("adagrad", Opt::Adagrad).value("nadam", Opt::Nadam);
    py::enum_<Schedule>(m, "Schedule")
        .value("constant", Schedule::Constant).value("exponential_decay", Schedule::ExponentialDecay)
        .value("piecewise_constant_decay", Schedule::PiecewiseConstantDecay)
        .value("inverse_time_decay", Schedule::InverseTimeDecay);
    py::enum_<LayerKind>(m, "LayerKind")
        .value("dense", LayerKind::Dense).value("activation", LayerKind::Activation).value("dropout", LayerKind::Dropout);

    py::class_<LossConfig>(m, "LossConfig")
        .def(py::init<>())
        .def_readwrite("kind", &LossConfig::kind)
        .def_readwrite("from_logits", &LossConfig::from_logits)
        .def_readwrite("huber_delta", &LossConfig::huber_delta);

    py::class_<OptimizerConfig>(m, "OptimizerConfig")
        .def(py::init<>())
        .def_readwrite("kind", &OptimizerConfig::kind)
        .def_readwrite("learning_rate", &OptimizerConfig::learning_rate)
        .def_readwrite("momentum", &OptimizerConfig::momentum)
        .def_readwrite("nesterov", &OptimizerConfig::nesterov)
        .def_readwrite("rho", &OptimizerConfig::rho)
        .def_readwrite("centered", &OptimizerConfig::centered)
        .def_readwrite("beta_1", &OptimizerConfig::beta_1)
        .def_readwrite("beta_2", &OptimizerConfig::beta_2)
        .def_readwrite("amsgrad", &OptimizerConfig::amsgrad)
        .def_readwrite("epsilon", &OptimizerConfig::epsilon)
        .def_readwrite("initial_accumulator_value", &OptimizerConfig::initial_accumulator_value)
        .def_readwrite("weight_decay", &OptimizerConfig::weight_decay)
        .def_readwrite("clipnorm", &OptimizerConfig::clipnorm)
        .def_readwrite("clipvalue", &OptimizerConfig::clipvalue)
        .def_readwrite("global_clipnorm", &OptimizerConfig::global_clipnorm)
        .def_readwrite("schedule", &OptimizerConfig::schedule)
        .def_readwrite("decay_steps", &OptimizerConfig::decay_steps)
        .def_readwrite("decay_rate", &OptimizerConfig::decay_rate)
        .def_readwrite("staircase", &OptimizerConfig::staircase)
        .def_readwrite("boundaries", &OptimizerConfig::boundaries)
        .def_readwrite("values", &OptimizerConfig::values);
    m.def("learning_rate_at", &learning_rate_at, py::arg("config"), py::arg("iteration"));

    py::class_<LayerSpec>(m, "LayerSpec")
        .def(py::init<>())
        .def_readwrite("kind", &LayerSpec::kind)
        .def_readwrite("in_features", &LayerSpec::in)
        .def_readwrite("out_features", &LayerSpec::out)
        .def_readwrite("act", &LayerSpec::act)
        .def_readwrite("alpha", &LayerSpec::alpha)
        .def_readwrite("use_bias", &LayerSpec::use_bias)
        .def_readwrite("rate", &LayerSpec::rate);

    // --- kernels, exposed for tests and benchmarks -------------------------------------------
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
    m.def("set_num_threads", [](int n) {
        if (n < 1) throw py::value_error("num_threads must be a positive integer, got " + std::to_string(n));
        set_num_threads(n);
    }, py::arg("n"));
    m.def("get_num_threads", &get_num_threads);
    m.def("_inject_buffer_failures", &inject_buffer_failures, py::arg("after"), py::arg("count"),
          "test hook: of the GEMM's next buffer requests, `after` succeed, then `count` fail (MemoryError)");
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
        check_2d(y, "y", p.shape(0), metric == Metric::SparseCategoricalAccuracy ? 1 : p.shape(1));
        return metric_batch(metric, p.data(), y.data(), (int)p.shape(0), (int)p.shape(1), 0.5f);
    }, py::arg("metric"), py::arg("p"), py::arg("y"));

    // --- the network ---------------------------------------------------------------------------
    py::class_<Network>(m, "Network")
        .def(py::init<std::vector<LayerSpec>, uint64_t>(), py::arg("layers"), py::arg("seed"))
        .def("compile", [](Network& n, const LossConfig& loss, const std::vector<Metric>& metrics,
                           const OptimizerConfig& opt) {
            std::lock_guard<std::mutex> lock(n.mutex);
            n.compile(loss, metrics, opt);
        }, py::arg("loss"), py::arg("metrics"), py::arg("optimizer"))
        .def("set_learning_rate", &Network::set_learning_rate)
        .def("current_learning_rate", &Network::current_learning_rate)
        .def("reseed", &Network::reseed)
        .def_property_readonly("input_dim", &Network::input_dim)
        .def_property_readonly("output_dim", &Network::output_dim)
        .def_property_readonly("y_cols", &Network::y_cols)
        .def_property_readonly("num_metrics", &Network::num_metrics)
        .def_property_readonly("num_params", &Network::num_params)
        .def_property_readonly("num_slots", &Network::num_slots)
        .def_property_readonly("compiled", &Network::compiled)
        .def_readwrite("iterations", &Network::iterations)
        .def_readwrite("nadam_u_product", &Network::nadam_u_product)
        .def("weights", [](py::object self) {  // views: kernel (in, out), bias (out,)
            return tensor_views(self, self.cast<Network&>().params());
        })
        .def("gradients", [](py::object self) {  // the last step's gradients, same layout as weights
            return tensor_views(self, self.cast<Network&>().grads());
        })
        .def("slots", [](py::object self) {  // optimizer state, one flat view per slot in use
            Network& n = self.cast<Network&>();
            py::list out;
            for (int s = 0; s < n.num_slots(); ++s) out.append(view(self, n.slot(s), {n.num_params()}));
            return out;
        })
        .def("begin_epoch", [](Network& n, long count, long batch_size, int shuffle_mode) {
            check_shuffle_mode(shuffle_mode);
            std::lock_guard<std::mutex> lock(n.mutex);
            n.begin_epoch(as_int(count, "n"), as_int(batch_size, "batch_size"), shuffle_mode);
        })
        .def("train_batches", [](Network& n, FloatArray x, FloatArray y, std::optional<FloatArray> w, long first,
                                 long count) {
            const float* pw = check_samples(n, x, y, w, "");
            const int N = as_int(x.shape(0), "n"), F = as_int(first, "first"), C = as_int(count, "count");
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            n.train_batches(x.data(), y.data(), pw, N, F, C);
        }, py::arg("x"), py::arg("y"), py::arg("w"), py::arg("first"), py::arg("count"))
        .def_property_readonly("epoch_batches", &Network::epoch_batches)
        .def("epoch_logs", &Network::epoch_logs)
        .def("fit_epochs", [](Network& n, FloatArray x, FloatArray y, std::optional<FloatArray> w, long batch_size,
                              long epochs, int shuffle_mode, std::optional<FloatArray> vx, std::optional<FloatArray> vy,
                              std::optional<FloatArray> vw, long val_batch_size) {
            const float* pw = check_samples(n, x, y, w, "");
            long val_n = 0;
            const float *pvx = nullptr, *pvy = nullptr, *pvw = nullptr;
            if (vx || vy) {
                if (!vx || !vy) throw py::value_error("validation needs both x and y");
                pvw = check_samples(n, *vx, *vy, vw, "validation ");
                val_n = vx->shape(0);
                pvx = vx->data(); pvy = vy->data();
            }
            check_shuffle_mode(shuffle_mode);
            const int E = as_int(epochs, "epochs"), width = 1 + n.num_metrics();
            py::array_t<double> train({(long)E, (long)width}), val({(long)E, (long)width});
            double *pt = train.mutable_data(), *pv = val.mutable_data();
            const int N = as_int(x.shape(0), "n"), B = as_int(batch_size, "batch_size");
            const int VN = as_int(val_n, "validation n"), VB = as_int(val_batch_size, "validation batch_size");
            {
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(n.mutex);
                n.fit_epochs(x.data(), y.data(), pw, N, B, E, shuffle_mode, pvx, pvy, pvw, VN, VB, pt, pv);
            }
            return py::make_tuple(train, val);
        }, py::arg("x"), py::arg("y"), py::arg("w"), py::arg("batch_size"), py::arg("epochs"), py::arg("shuffle_mode"),
           py::arg("val_x") = py::none(), py::arg("val_y") = py::none(), py::arg("val_w") = py::none(),
           py::arg("val_batch_size") = 32)
        .def("evaluate", [](Network& n, FloatArray x, FloatArray y, std::optional<FloatArray> w, long batch_size) {
            const float* pw = check_samples(n, x, y, w, "");
            const int N = as_int(x.shape(0), "n"), B = as_int(batch_size, "batch_size");
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            return n.evaluate(x.data(), y.data(), pw, N, B);
        }, py::arg("x"), py::arg("y"), py::arg("w") = py::none(), py::arg("batch_size") = 32)
        .def("predict", [](Network& n, FloatArray x, long batch_size) {
            check_2d(x, "x", -1, n.input_dim());
            return predict(n, x, as_int(batch_size, "batch_size"));
        }, py::arg("x"), py::arg("batch_size") = 32)
        // model.predict's fast path: a float32 C-contiguous (n, input_dim) array with n > 0 is predicted
        // with no conversion; anything else returns None and Python takes the checked path.
        .def("predict_fast", [](Network& n, py::handle x, long batch_size) -> py::object {
            if (!py::isinstance<FloatArray>(x)) return py::none();
            auto a = py::reinterpret_borrow<FloatArray>(x);
            if (a.ndim() != 2 || a.shape(0) == 0 || a.shape(1) != n.input_dim()) return py::none();
            return predict(n, a, as_int(batch_size, "batch_size"));
        }, py::arg("x"), py::arg("batch_size"));
    bind_conv_hooks(m);  // after the enums its defaults use
}
