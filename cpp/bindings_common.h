// Helpers shared by the pybind11 glue files (bindings_*.cpp): array checks at the boundary and views.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

namespace pmdl {
class Network;
}

namespace pmdl::bind {

namespace py = pybind11;

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Below this many multiply-adds a call keeps the GIL: releasing and re-taking it costs more.
constexpr long kReleaseGilAbove = 1L << 16;

// "(3, 4)", "(5,)": an array's shape as NumPy prints it.
inline std::string array_shape_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

// Throws ValueError unless `a` is 2-D with `cols` columns (cols < 0: any) and `rows` rows (rows < 0: any).
inline void check_2d(const FloatArray& a, const char* name, long rows, long cols) {
    auto shape_text = [&] {
        std::string s = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
        return s + (a.ndim() == 1 ? ",)" : ")");
    };
    if (a.ndim() != 2 || (cols >= 0 && a.shape(1) != cols) || (rows >= 0 && a.shape(0) != rows))
        throw py::value_error(std::string(name) + ": expected shape (" + (rows >= 0 ? std::to_string(rows) : "n") +
                              ", " + (cols >= 0 ? std::to_string(cols) : "m") + "), got " + shape_text());
}

inline const float* weights_ptr(const std::optional<FloatArray>& w, long n) {
    if (!w) return nullptr;
    if (w->ndim() != 1 || w->shape(0) != n)
        throw py::value_error("sample weights: expected shape (" + std::to_string(n) + ",)");
    return w->data();
}

inline int as_int(long v, const char* name) {
    if (v < 0 || v > 0x7fffffffL) throw py::value_error(std::string(name) + " out of range");
    return static_cast<int>(v);
}

// A NumPy view onto memory owned by `owner` (kept alive by the view).
inline py::array view(py::object owner, float* data, std::vector<py::ssize_t> shape) {
    std::vector<py::ssize_t> strides(shape.size());
    py::ssize_t step = sizeof(float);
    for (size_t i = shape.size(); i-- > 0;) { strides[i] = step; step *= shape[i]; }
    return py::array_t<float>(shape, strides, data, owner);
}

// predict's glue (bindings_predict.cpp): the checked path's run on converted inputs, and the fast path
// (None unless every input is already a float32 C-contiguous array of the input's shape, n > 0, and
// rows x parameters is at most max_work: larger inputs go in chunks, so that Ctrl-C is seen).
FloatArray predict(Network& n, const std::vector<FloatArray>& xs, long batch_size);
py::object predict_fast(Network& n, py::handle x, long batch_size, double max_work);

// One function per glue file, called in this order by PYBIND11_MODULE (bindings.cpp).
void bind_enums(py::module_& m);
void bind_configs(py::module_& m);
void bind_kernels(py::module_& m);
void bind_network(py::module_& m);

}  // namespace pmdl::bind
