// Test hooks for the convolution, pooling, batch-normalization and embedding kernels (cpp/layers/):
// each kernel called once on NumPy arrays, so the tests can check it against float64 references and
// finite differences apart from any network. Names start with an underscore: not a public API.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/embedding.h"
#include "layers/pooling.h"

namespace py = pybind11;
using namespace pmdl;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using Pair = std::pair<int, int>;

void check_ndim(const FloatArray& a, const char* name, int ndim) {
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got " +
                              std::to_string(a.ndim()) + "-D");
}

bool same_padding(const std::string& padding) {
    if (padding != "same" && padding != "valid")
        throw py::value_error("padding must be 'valid' or 'same', got '" + padding + "'");
    return padding == "same";
}

// The window of a (n, h, w, c) input under a (kh, kw) kernel.
Window window_of(const FloatArray& x, Pair k, Pair strides, Pair dilation, const std::string& padding) {
    check_ndim(x, "x", 4);
    const bool same = same_padding(padding);
    Window g;
    g.n = (int)x.shape(0);
    g.c = (int)x.shape(3);
    g.y = window_axis((int)x.shape(1), k.first, strides.first, dilation.first, same, "height");
    g.x = window_axis((int)x.shape(2), k.second, strides.second, dilation.second, same, "width");
    return g;
}

FloatArray out_like(const Window& g, int channels) { return FloatArray({g.n, g.y.out, g.x.out, channels}); }

void check_size(const FloatArray& a, const char* name, long size) {
    if ((long)a.size() != size)
        throw py::value_error(std::string(name) + " must hold " + std::to_string(size) + " floats, got " +
                              std::to_string(a.size()));
}

const float* opt_ptr(const std::optional<FloatArray>& a, const char* name, long size) {
    if (!a) return nullptr;
    check_size(*a, name, size);
    return a->data();
}

}  // namespace

void bind_conv_hooks(py::module_& m) {
    m.def("_conv2d_forward", [](FloatArray x, FloatArray kernel, std::optional<FloatArray> bias, Pair strides,
                                Pair dilation, const std::string& padding, Act act, float alpha) {
        check_ndim(kernel, "kernel", 4);
        const Window g = window_of(x, {(int)kernel.shape(0), (int)kernel.shape(1)}, strides, dilation, padding);
        if (kernel.shape(2) != g.c) throw py::value_error("kernel's input channels do not match x's");
        const int f = (int)kernel.shape(3);
        FloatArray z = out_like(g, f), y = out_like(g, f);
        const float* b = opt_ptr(bias, "bias", f);
        {
            py::gil_scoped_release release;
            conv2d_forward(g, f, x.data(), kernel.data(), b, act, alpha, z.mutable_data(), y.mutable_data());
        }
        return py::make_tuple(z, y);
    }, py::arg("x"), py::arg("kernel"), py::arg("bias"), py::arg("strides"), py::arg("dilation"),
       py::arg("padding"), py::arg("act") = Act::Linear, py::arg("alpha") = 0.0f);

    m.def("_conv2d_backward", [](FloatArray x, FloatArray kernel, FloatArray dz, Pair strides, Pair dilation,
                                 const std::string& padding) {
        check_ndim(kernel, "kernel", 4);
        const Window g = window_of(x, {(int)kernel.shape(0), (int)kernel.shape(1)}, strides, dilation, padding);
        const int f = (int)kernel.shape(3);
        check_size(dz, "dz", g.rows() * f);
        FloatArray dx({x.shape(0), x.shape(1), x.shape(2), x.shape(3)});
        FloatArray dk({kernel.shape(0), kernel.shape(1), kernel.shape(2), kernel.shape(3)});
        FloatArray db(f);
        {
            py::gil_scoped_release release;
            conv2d_backward_data(g, f, dz.data(), kernel.data(), dx.mutable_data());
            conv2d_backward_filter(g, f, x.data(), dz.data(), dk.mutable_data(), db.mutable_data());
        }
        return py::make_tuple(dx, dk, db);
    }, py::arg("x"), py::arg("kernel"), py::arg("dz"), py::arg("strides"), py::arg("dilation"), py::arg("padding"));

    // For benchmarks/conv_layers.py: the median seconds of each kernel over `repeats` calls (after one
    // untimed call) on buffers allocated once, as a layer's are: a hook that returns new arrays would time
    // the page faults of its outputs too, which for a first layer's few channels cost more than the work.
    m.def("_conv2d_time", [](FloatArray x, FloatArray kernel, Pair strides, Pair dilation, const std::string& padding,
                             Act act, int repeats) {
        check_ndim(kernel, "kernel", 4);
        if (repeats < 1 || repeats > 100000)
            throw py::value_error("repeats must be between 1 and 100000, got " + std::to_string(repeats));
        const Window g = window_of(x, {(int)kernel.shape(0), (int)kernel.shape(1)}, strides, dilation, padding);
        if (kernel.shape(2) != g.c) throw py::value_error("kernel's input channels do not match x's");
        const int f = (int)kernel.shape(3);
        Floats z(g.rows() * f), y(g.rows() * f), dx((long)g.n * g.in_image()), dk(kernel.size()), db(f), bias(f, 0.1f);
        // The output in place for relu and linear, as the layer keeps it (Conv::output_in_z).
        float* out = act == Act::Relu || act == Act::Linear ? z.data() : y.data();
        std::vector<double> times[3];
        {
            py::gil_scoped_release release;
            auto time = [&](int which) {
                const auto t0 = std::chrono::steady_clock::now();
                if (which == 0) conv2d_forward(g, f, x.data(), kernel.data(), bias.data(), act, 0.0f, z.data(), out);
                if (which == 1) conv2d_backward_data(g, f, z.data(), kernel.data(), dx.data());
                if (which == 2) conv2d_backward_filter(g, f, x.data(), z.data(), dk.data(), db.data());
                return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            };
            for (int which = 0; which < 3; ++which) time(which);
            for (int r = 0; r < repeats; ++r)  // interleaved, so a busy spell slows all three alike
                for (int which = 0; which < 3; ++which) times[which].push_back(time(which));
        }
        for (auto& t : times) std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
        return py::make_tuple(times[0][repeats / 2], times[1][repeats / 2], times[2][repeats / 2]);
    }, py::arg("x"), py::arg("kernel"), py::arg("strides"), py::arg("dilation"), py::arg("padding"),
       py::arg("act") = Act::Relu, py::arg("repeats") = 21);

    m.def("_pool2d_forward", [](const std::string& kind, FloatArray x, Pair pool, Pair strides,
                                const std::string& padding) {
        const Window g = window_of(x, pool, strides, {1, 1}, padding);
        FloatArray y = out_like(g, g.c);
        if (kind == "max") {
            std::vector<int32_t> argmax(g.rows() * g.c);
            maxpool_forward(g, x.data(), y.mutable_data(), argmax.data());
        } else if (kind == "avg") {
            avgpool_forward(g, x.data(), y.mutable_data());
        } else {
            throw py::value_error("kind must be 'max' or 'avg', got '" + kind + "'");
        }
        return y;
    }, py::arg("kind"), py::arg("x"), py::arg("pool"), py::arg("strides"), py::arg("padding"));

    m.def("_pool2d_backward", [](const std::string& kind, FloatArray x, FloatArray dy, Pair pool, Pair strides,
                                 const std::string& padding) {
        const Window g = window_of(x, pool, strides, {1, 1}, padding);
        check_size(dy, "dy", g.rows() * g.c);
        FloatArray dx({x.shape(0), x.shape(1), x.shape(2), x.shape(3)});
        if (kind == "max") {
            std::vector<float> y(g.rows() * g.c);
            std::vector<int32_t> argmax(g.rows() * g.c);
            maxpool_forward(g, x.data(), y.data(), argmax.data());
            maxpool_backward(g, dy.data(), argmax.data(), dx.mutable_data());
        } else if (kind == "avg") {
            avgpool_backward(g, dy.data(), dx.mutable_data());
        } else {
            throw py::value_error("kind must be 'max' or 'avg', got '" + kind + "'");
        }
        return dx;
    }, py::arg("kind"), py::arg("x"), py::arg("dy"), py::arg("pool"), py::arg("strides"), py::arg("padding"));

    m.def("_global_pool", [](const std::string& kind, FloatArray x, std::optional<FloatArray> dy) {
        check_ndim(x, "x", 3);  // (n, cells, c)
        const int n = (int)x.shape(0), c = (int)x.shape(2);
        const long cells = (long)x.shape(1);
        FloatArray y({n, c});
        if (kind == "max") global_maxpool_forward(n, cells, c, x.data(), y.mutable_data());
        else if (kind == "avg") global_avgpool_forward(n, cells, c, x.data(), y.mutable_data());
        else throw py::value_error("kind must be 'max' or 'avg', got '" + kind + "'");
        if (!dy) return py::object(y);
        check_size(*dy, "dy", (long)n * c);
        FloatArray dx({(long)n, cells, (long)c});
        if (kind == "max") global_maxpool_backward(n, cells, c, x.data(), y.data(), dy->data(), dx.mutable_data());
        else global_avgpool_backward(n, cells, c, dy->data(), dx.mutable_data());
        return py::object(dx);
    }, py::arg("kind"), py::arg("x"), py::arg("dy") = py::none(),
       "y = the global pool of x (n, cells, c); with dy, the input gradient instead");

    m.def("_batch_norm", [](FloatArray x, std::optional<FloatArray> gamma, std::optional<FloatArray> beta,
                            std::optional<FloatArray> moving_mean, std::optional<FloatArray> moving_var, float eps,
                            std::optional<FloatArray> dy) {
        check_ndim(x, "x", 2);  // (rows, c); inference when the moving statistics are given
        const long rows = (long)x.shape(0);
        const int c = (int)x.shape(1);
        const float* g = opt_ptr(gamma, "gamma", c);
        const float* b = opt_ptr(beta, "beta", c);
        const float* mm = opt_ptr(moving_mean, "moving_mean", c);
        const float* mv = opt_ptr(moving_var, "moving_var", c);
        FloatArray y({rows, (long)c}), mean(c), var(c);
        if (mm && mv) batch_norm_forward_infer(rows, c, x.data(), g, b, mm, mv, eps, y.mutable_data());
        else batch_norm_forward_train(rows, c, x.data(), g, b, eps, mean.mutable_data(), var.mutable_data(), y.mutable_data());
        if (!dy) return py::make_tuple(y, mean, var);
        check_size(*dy, "dy", rows * c);
        FloatArray dx({rows, (long)c}), dgamma(c), dbeta(c);
        if (mm && mv)
            batch_norm_backward_infer(rows, c, x.data(), g, mm, mv, eps, dy->data(), dx.mutable_data(),
                                      dgamma.mutable_data(), dbeta.mutable_data());
        else
            batch_norm_backward_train(rows, c, x.data(), mean.data(), var.data(), g, eps, dy->data(),
                                      dx.mutable_data(), dgamma.mutable_data(), dbeta.mutable_data());
        return py::make_tuple(dx, dgamma, dbeta);
    }, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("moving_mean") = py::none(),
       py::arg("moving_var") = py::none(), py::arg("eps") = 1e-3f, py::arg("dy") = py::none(),
       "forward: (y, mean, var); with dy: (dx, dgamma, dbeta); inference when both moving statistics are given");

    m.def("_batch_norm_update_moving", [](FloatArray mean, FloatArray var, FloatArray moving_mean,
                                          FloatArray moving_var, float momentum) {
        const int c = (int)mean.size();
        check_size(var, "var", c);
        check_size(moving_mean, "moving_mean", c);
        check_size(moving_var, "moving_var", c);
        FloatArray mm(c), mv(c);
        std::copy(moving_mean.data(), moving_mean.data() + c, mm.mutable_data());
        std::copy(moving_var.data(), moving_var.data() + c, mv.mutable_data());
        batch_norm_update_moving(c, momentum, mean.data(), var.data(), mm.mutable_data(), mv.mutable_data());
        return py::make_tuple(mm, mv);
    }, py::arg("mean"), py::arg("var"), py::arg("moving_mean"), py::arg("moving_var"), py::arg("momentum") = 0.99f);

    m.def("_embedding", [](FloatArray ids, FloatArray table, std::optional<FloatArray> dy) {
        check_ndim(table, "table", 2);
        const long count = (long)ids.size();
        const int input_dim = (int)table.shape(0), dim = (int)table.shape(1);
        std::vector<int> rows(count);
        embedding_rows(ids.data(), count, ids.ndim() >= 2 ? (long)(ids.size() / std::max<long>(1, ids.shape(0))) : 1,
                       input_dim, rows.data());
        if (dy) {
            check_size(*dy, "dy", count * dim);
            FloatArray dt({input_dim, dim});
            embedding_backward(rows.data(), count, input_dim, dim, dy->data(), dt.mutable_data());
            return dt;
        }
        FloatArray y({count, (long)dim});
        embedding_forward(rows.data(), count, dim, table.data(), y.mutable_data());
        return y;
    }, py::arg("ids"), py::arg("table"), py::arg("dy") = py::none(),
       "rows of table for ids (count, dim); with dy, the table's gradient instead");
}
