// pybind11 glue: the Network class (argument checks, GIL released around training and prediction).
#include <mutex>

#include "bindings_common.h"
#include "network.h"

namespace pmdl::bind {

namespace {

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

void bind_network(py::module_& m) {
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
}

}  // namespace pmdl::bind
