// predict's glue: the checked path's run and model.predict's fast path. Unlike the other glue files it is
// compiled with full optimization (CMakeLists.txt): a one-sample prediction is mostly this code and the
// network's forward pass, so every allocation and check here shows in its time.
#include <algorithm>
#include <mutex>

#include "aligned.h"
#include "bindings_common.h"
#include "network.h"

namespace pmdl::bind {
namespace {

constexpr int kInlineInputs = 8;  // inputs handled without a heap allocation

// One input array as the forward pass reads it; the caller holds a reference to the array.
struct Input {
    const float* data;
    int ndim;
    const py::ssize_t* shape;
};

Input input_of(const FloatArray& a) { return {a.data(), (int)a.ndim(), a.shape()}; }

// x is (rows, *input_shape)?
bool matches(const Input& x, const Shape& s, long rows) {
    if (x.ndim != (int)s.size() + 1 || x.shape[0] != rows) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (x.shape[i + 1] != s[i]) return false;
    return true;
}

// As the other entry points word it: "x: expected shape (3, 4), got (3, 5)".
py::value_error shape_error(const Input& x, int k, int count, const Network& n, long rows) {
    std::string want = "(" + std::to_string(rows), got = "(";
    for (int d : n.graph().input_shapes()[k]) want += ", " + std::to_string(d);
    for (int i = 0; i < x.ndim; ++i) got += (i ? ", " : "") + std::to_string(x.shape[i]);
    const std::string name = count == 1 ? "x" : "x[" + std::to_string(k) + "]";
    return py::value_error(name + ": expected shape " + want + "), got " + got + (x.ndim == 1 ? ",)" : ")"));
}

// Network::predict on `count` inputs into a new (rows, *output_shape) array. The shapes are checked
// under the network's mutex, where the work reads them.
FloatArray run_predict(Network& n, const Input* xs, int count, long rows, long batch_size) {
    // A clear MemoryError for an output that does not fit; only for large ones (from 1 MiB), as
    // require_memory reads /proc/meminfo, which would cost a one-sample prediction several times over.
    const size_t out_bytes = 4 * (size_t)rows * (size_t)n.output_dim();
    if (out_bytes >= (size_t(1) << 20)) require_memory(out_bytes, "predict's output");
    const Shape& out_shape = n.graph().output_shape();
    std::vector<py::ssize_t> shape;
    shape.reserve(out_shape.size() + 1);
    shape.push_back(rows);
    shape.insert(shape.end(), out_shape.begin(), out_shape.end());
    FloatArray out(std::move(shape));
    float* po = out.mutable_data();
    const float* inline_px[kInlineInputs];
    std::vector<const float*> heap_px(count > kInlineInputs ? count : 0);
    const float** px = count > kInlineInputs ? heap_px.data() : inline_px;
    for (int k = 0; k < count; ++k) px[k] = xs[k].data;
    const int B = as_int(batch_size, "batch_size");
    const int N = as_int(rows, "n");
    auto run = [&] {
        if (count != n.num_inputs())
            throw py::value_error("predict: the network has " + std::to_string(n.num_inputs()) + " input(s), got " +
                                  std::to_string(count) + " array(s)");
        for (int k = 0; k < count; ++k)
            if (!matches(xs[k], n.graph().input_shapes()[k], rows)) throw shape_error(xs[k], k, count, n, rows);
        n.predict(px, N, B, po);
    };
    std::unique_lock<std::mutex> lock(n.mutex, std::defer_lock);
    // Tiny work keeps the GIL (a release/re-take costs more), unless another thread holds the network.
    if (rows * n.num_params() < kReleaseGilAbove && lock.try_lock()) {
        run();
    } else {
        py::gil_scoped_release release;
        lock.lock();
        run();
        lock.unlock();
    }
    return out;
}

}  // namespace

FloatArray predict(Network& n, const std::vector<FloatArray>& xs, long batch_size) {
    std::vector<Input> in;
    in.reserve(xs.size());
    for (const FloatArray& a : xs) in.push_back(input_of(a));
    const long rows = in[0].ndim > 0 ? in[0].shape[0] : 0;
    return run_predict(n, in.data(), (int)in.size(), rows, batch_size);
}

py::object predict_fast(Network& n, py::handle x, long batch_size, double max_work) {
    const int count = n.num_inputs();
    if (count > kInlineInputs) return py::none();
    const bool sequence = PyList_Check(x.ptr()) || PyTuple_Check(x.ptr());
    if (sequence ? py::len(x) != (size_t)count : count != 1) return py::none();
    py::object held[kInlineInputs];  // references kept while the GIL may be released
    Input in[kInlineInputs];
    for (int k = 0; k < count; ++k) {
        py::handle a = sequence ? py::handle(PySequence_Fast_GET_ITEM(x.ptr(), k)) : x;
        if (!py::isinstance<FloatArray>(a)) return py::none();
        held[k] = py::reinterpret_borrow<py::object>(a);
        in[k] = input_of(py::reinterpret_borrow<FloatArray>(a));
    }
    const long rows = in[0].ndim > 0 ? in[0].shape[0] : 0;
    if (rows == 0 || (double)rows * (double)std::max(1L, n.num_params()) > max_work) return py::none();
    for (int k = 0; k < count; ++k)
        if (!matches(in[k], n.graph().input_shapes()[k], rows)) return py::none();
    return run_predict(n, in, count, rows, batch_size);
}

}  // namespace pmdl::bind
