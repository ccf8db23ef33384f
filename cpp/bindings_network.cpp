// pybind11 glue for _core.Network: the graph from (kind, input ids, attrs) triples, views onto its
// parameters, and the data methods. Shapes are checked under the network's mutex, with the GIL released
// around the computation.
#include <map>
#include <mutex>

#include "bindings_common.h"
#include "layers/layer.h"
#include "network.h"

namespace pmdl::bind {

namespace {

// {"units": 8, "kernel_size": [3, 3]} -> Attrs; the layer kind reads and range-checks its own keys.
Attrs to_attrs(const std::string& kind, const py::dict& d) {
    std::map<std::string, Attrs::Value> values;
    for (auto item : d) {
        if (!py::isinstance<py::str>(item.first))
            throw py::value_error(kind + ": attribute names must be strings, got " + py::repr(item.first).cast<std::string>());
        const std::string key = item.first.cast<std::string>();
        py::handle v = item.second;
        auto bad = [&]() {
            return py::value_error(kind + ": attribute '" + key + "' must be a number or a list of integers, got " +
                                   py::repr(v).cast<std::string>());
        };
        if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
            std::vector<long> list;
            for (py::handle e : v.cast<py::sequence>()) {
                if (!py::isinstance<py::int_>(e) && !py::hasattr(e, "__index__")) throw bad();
                list.push_back(e.attr("__index__")().cast<long>());
            }
            values[key] = list;
        } else if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v) || py::hasattr(v, "__float__")) {
            values[key] = v.attr("__float__")().cast<double>();
        } else {
            throw bad();
        }
    }
    return Attrs(kind, std::move(values));
}

// A tuple or list of ints (shapes, input ids); `what` names it in the error, e.g. "input_shapes[0] must be ...".
Shape to_ints(py::handle s, const std::string& what) {
    Shape out;
    bool ok = py::isinstance<py::list>(s) || py::isinstance<py::tuple>(s);
    if (ok)
        for (py::handle d : s.cast<py::sequence>()) {
            ok = ok && (py::isinstance<py::int_>(d) || py::hasattr(d, "__index__"));
            if (!ok) break;
            const long v = d.attr("__index__")().cast<long>();
            ok = v >= -0x7fffffffL && v <= 0x7fffffffL;
            out.push_back((int)v);
        }
    if (!ok) throw py::value_error(what + ", got " + py::repr(s).cast<std::string>());
    return out;
}

std::unique_ptr<Network> make_network(py::list layers, py::list input_shapes, uint64_t seed) {
    std::vector<Shape> shapes;
    for (size_t k = 0; k < input_shapes.size(); ++k)
        shapes.push_back(to_ints(input_shapes[k], "input_shapes[" + std::to_string(k) + "] must be a tuple of positive integers"));
    std::vector<LayerNode> nodes;
    for (size_t j = 0; j < layers.size(); ++j) {
        py::tuple t;
        try {
            t = layers[j].cast<py::tuple>();
        } catch (const py::cast_error&) {}
        if (t.size() != 3 || !py::isinstance<py::str>(t[0]) || !py::isinstance<py::dict>(t[2]))
            throw py::value_error("layers[" + std::to_string(j) + "] must be (kind, [input ids], {attrs}), got " +
                                  py::repr(layers[j]).cast<std::string>());
        LayerNode n;
        n.kind = t[0].cast<std::string>();
        n.inputs = to_ints(t[1], "layers[" + std::to_string(j) + "]: input ids must be a list of node ids");
        n.attrs = to_attrs(n.kind, t[2].cast<py::dict>());
        nodes.push_back(std::move(n));
    }
    try {
        return std::make_unique<Network>(std::move(shapes), std::move(nodes), seed);
    } catch (const std::invalid_argument& e) {
        throw py::value_error(e.what());
    }
}

py::tuple shape_tuple(const Shape& s) {
    py::tuple t(s.size());
    for (size_t i = 0; i < s.size(); ++i) t[i] = s[i];
    return t;
}

// The model inputs of one call: a list with one array per input, or a bare array for one input.
std::vector<FloatArray> input_arrays(Network& n, py::handle xs, const std::string& what) {
    std::vector<FloatArray> out;
    if (py::isinstance<py::list>(xs) || py::isinstance<py::tuple>(xs)) {
        for (py::handle x : xs.cast<py::sequence>()) out.push_back(FloatArray::ensure(x));
    } else {
        out.push_back(FloatArray::ensure(xs));
    }
    for (const FloatArray& a : out)
        if (!a) throw py::value_error(what + ": inputs must be numeric arrays");
    if ((int)out.size() != n.num_inputs())
        throw py::value_error(what + ": the network has " + std::to_string(n.num_inputs()) + " input(s), got " +
                              std::to_string(out.size()) + " array(s)");
    return out;
}

// Checks each x[k] is (rows, *input_shape(k)) (rows < 0: any, then the first's) and returns rows.
long check_inputs(Network& n, const std::vector<FloatArray>& xs, const std::string& what, long rows = -1) {
    for (size_t k = 0; k < xs.size(); ++k) {
        const Shape& s = n.graph().input_shapes()[k];
        const FloatArray& a = xs[k];
        bool ok = a.ndim() == (py::ssize_t)s.size() + 1 && (rows < 0 || a.shape(0) == rows);
        for (size_t i = 0; ok && i < s.size(); ++i) ok = a.shape(i + 1) == s[i];
        if (!ok) {
            std::string want = "(" + (rows >= 0 ? std::to_string(rows) : std::string("n"));
            for (int d : s) want += ", " + std::to_string(d);
            const std::string name = xs.size() == 1 ? what + "x" : what + "x[" + std::to_string(k) + "]";
            throw py::value_error(name + ": expected shape " + want + "), got " + array_shape_text(a));
        }
        rows = a.shape(0);
    }
    return rows;
}

std::vector<const float*> pointers(const std::vector<FloatArray>& xs) {
    std::vector<const float*> out;
    for (const FloatArray& a : xs) out.push_back(a.data());
    return out;
}

// Checks x, y (n, y_cols) and the optional weights (n,); returns the weights pointer. Under the mutex:
// y_cols depends on the compiled loss.
const float* check_samples(Network& n, const std::vector<FloatArray>& xs, const FloatArray& y,
                           const std::optional<FloatArray>& w, const std::string& what) {
    const long rows = check_inputs(n, xs, what);
    check_2d(y, (what + "y").c_str(), rows, n.y_cols());
    return weights_ptr(w, rows);
}

void check_shuffle_mode(int mode) {
    if (mode < 0 || mode > 2) throw py::value_error("shuffle_mode must be 0, 1 or 2, got " + std::to_string(mode));
}

std::vector<py::ssize_t> dims(const Shape& s) { return std::vector<py::ssize_t>(s.begin(), s.end()); }

py::array tensor_view(py::object self, const TensorSlot& t, bool grads) {
    Network& n = self.cast<Network&>();
    float* base = t.trainable ? (grads ? n.grads() : n.params()) : n.frozen();
    return view(self, base + t.offset, dims(t.shape));
}

}  // namespace

void bind_network(py::module_& m) {
    m.def("layer_kinds", &layer_kinds, "the layer kinds the C++ core knows, by name");
    py::class_<Network>(m, "Network")
        .def(py::init(&make_network), py::arg("layers"), py::arg("input_shapes"), py::arg("seed"),
             "layers: [(kind, [input node ids], {attrs})] in topological order; node ids 0 .. I-1 are the "
             "model inputs, I + j the output of layers[j]; the last layer's output is the model's")
        .def("compile", [](Network& n, const LossConfig& loss, const std::vector<MetricConfig>& metrics,
                           const OptimizerConfig& opt) {
            std::lock_guard<std::mutex> lock(n.mutex);
            n.compile(loss, metrics, opt);
        }, py::arg("loss"), py::arg("metrics"), py::arg("optimizer"))
        .def("set_weight_rules", [](Network& n, const std::vector<py::tuple>& rules) {
            std::vector<WeightRule> out;
            for (const py::tuple& t : rules) {
                if (t.size() != 8)
                    throw py::value_error("weight rules are (tensor, l1, l2, constraint, max_value, min_value, rate, "
                                          "axis) tuples, got " + py::repr(t).cast<std::string>());
                WeightRule r;
                r.tensor = t[0].cast<int>(), r.l1 = t[1].cast<float>(), r.l2 = t[2].cast<float>();
                r.constraint = static_cast<Constraint>(t[3].cast<int>());
                r.max_value = t[4].cast<float>(), r.min_value = t[5].cast<float>(), r.rate = t[6].cast<float>();
                r.axis = t[7].cast<int>();
                out.push_back(r);
            }
            std::lock_guard<std::mutex> lock(n.mutex);
            n.set_weight_rules(std::move(out));
        }, py::arg("rules"), "[(tensor, l1, l2, constraint code, max_value, min_value, rate, axis)]: penalties "
           "and constraints of trainable tensors (see cpp/weight_rules.h)")
        .def("weight_penalty", [](Network& n) {
            std::lock_guard<std::mutex> lock(n.mutex);
            return n.weight_penalty_total();
        }, "the sum of the weight penalties at the current weights")
        .def("set_learning_rate", [](Network& n, float lr) {  // another thread's, while fit runs: not mid-step
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            n.set_learning_rate(lr);
        }, py::arg("lr"))
        .def("current_learning_rate", &Network::current_learning_rate)
        .def("reseed", [](Network& n, uint64_t seed) {  // the stream a running computation draws from
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            n.reseed(seed);
        }, py::arg("seed"))
        .def_property_readonly("input_shapes", [](Network& n) {
            py::list out;
            for (const Shape& s : n.graph().input_shapes()) out.append(shape_tuple(s));
            return out;
        })
        .def_property_readonly("output_shape", [](Network& n) { return shape_tuple(n.graph().output_shape()); })
        .def("layer_shapes", [](Network& n) {
            py::list out;
            for (int j = 0; j < n.graph().num_layers(); ++j) out.append(shape_tuple(n.graph().layer(j).output_shape()));
            return out;
        }, "the output shape of each layer")
        .def_property_readonly("output_dim", &Network::output_dim)
        .def_property_readonly("y_cols", &Network::y_cols)
        .def_property_readonly("num_metrics", &Network::num_metrics)
        .def_property_readonly("num_params", &Network::num_params)
        .def_property_readonly("num_trainable_params", &Network::num_trainable)
        .def_property_readonly("num_slots", [](Network& n) { return n.optimizer().num_slots(); })
        .def_property_readonly("compiled", &Network::compiled)
        // Training state a file or a user may set: bounded by the optimizer's setters, so that the step count
        // cannot overflow (2**53: exact in the schedules' double) and a rule's scalar stays a finite number in
        // its range (Nadam's product in [0, 1]).
        .def_property("iterations", [](Network& n) { return n.optimizer().iterations; },
                      [](Network& n, int64_t it) {
                          std::lock_guard<std::mutex> lock(n.mutex);
                          n.optimizer().set_iterations(it);
                      })
        .def_property("optimizer_scalars", [](Network& n) {
            py::dict out;  // the rule's state besides slots and iterations, e.g. Nadam's {"u_product": ...}
            for (int i = 0; i < n.optimizer().num_scalars(); ++i)
                out[py::str(n.optimizer().scalar_name(i))] = n.optimizer().scalar(i);
            return out;
        }, [](Network& n, const std::map<std::string, double>& values) {
            Optimizer& opt = n.optimizer();
            std::lock_guard<std::mutex> lock(n.mutex);
            std::vector<double> next(opt.num_scalars());  // all names checked before any value changes
            for (int i = 0; i < opt.num_scalars(); ++i) {
                auto it = values.find(opt.scalar_name(i));
                if (it == values.end())
                    throw py::value_error(std::string("optimizer_scalars: missing '") + opt.scalar_name(i) + "'");
                next[i] = it->second;
            }
            if (values.size() != next.size())
                throw py::value_error("optimizer_scalars: expected " + std::to_string(next.size()) + " values, got " +
                                      std::to_string(values.size()));
            // and every value against its range before any changes: set the old ones back if one is refused
            std::vector<double> old(opt.num_scalars());
            for (int i = 0; i < opt.num_scalars(); ++i) old[i] = opt.scalar(i);
            try {
                for (int i = 0; i < opt.num_scalars(); ++i) opt.set_scalar(i, next[i]);
            } catch (...) {
                for (int i = 0; i < opt.num_scalars(); ++i) opt.scalar(i) = old[i];
                throw;
            }
        })
        // Nadam's scalar (1.0 for the other rules, which have none): the name code written before
        // optimizer_scalars uses.
        .def_property("nadam_u_product", [](Network& n) {
            Optimizer& opt = n.optimizer();
            for (int i = 0; i < opt.num_scalars(); ++i)
                if (std::string(opt.scalar_name(i)) == "u_product") return opt.scalar(i);
            return 1.0;
        }, [](Network& n, double v) {
            Optimizer& opt = n.optimizer();
            std::lock_guard<std::mutex> lock(n.mutex);
            for (int i = 0; i < opt.num_scalars(); ++i) {
                if (std::string(opt.scalar_name(i)) == "u_product") {
                    try {
                        opt.set_scalar(i, v);
                    } catch (const std::invalid_argument& e) {
                        throw py::value_error(std::string("nadam_") + e.what());
                    }
                    return;
                }
            }
            if (v != 1.0)
                throw py::value_error("nadam_u_product: this optimizer has no u_product, got " + std::to_string(v));
        })
        .def("layer_weights", [](py::object self, int j) {
            Network& n = self.cast<Network&>();
            if (j < 0 || j >= n.graph().num_layers())
                throw py::index_error("layer index must be in [0, " + std::to_string(n.graph().num_layers()) +
                                      "), got " + std::to_string(j));
            py::list out;
            for (const TensorSlot& t : n.tensors())
                if (t.layer == j) out.append(py::make_tuple(t.name, tensor_view(self, t, false), t.trainable));
            return out;
        }, py::arg("j"), "[(name, view, trainable)] of layer j, in Keras' order and shapes")
        .def("weights", [](py::object self) {  // views onto every parameter tensor, in layer order
            py::list out;
            for (const TensorSlot& t : self.cast<Network&>().tensors()) out.append(tensor_view(self, t, false));
            return out;
        })
        .def("gradients", [](py::object self) {  // the last step's gradients of the trainable tensors
            py::list out;
            for (const TensorSlot& t : self.cast<Network&>().tensors())
                if (t.trainable) out.append(tensor_view(self, t, true));
            return out;
        })
        .def("slots", [](py::object self) {  // optimizer state, one flat view per slot over the trainable floats
            Network& n = self.cast<Network&>();
            py::list out;
            for (int s = 0; s < n.optimizer().num_slots(); ++s)
                out.append(view(self, n.optimizer().slot(s), {n.num_trainable()}));
            return out;
        })
        .def("slot_names", [](Network& n) {  // Keras' variable names of the slots, in order
            py::list out;
            for (int s = 0; s < n.optimizer().num_slots(); ++s) out.append(n.optimizer().slot_name(s));
            return out;
        })
        .def("begin_epoch", [](Network& n, long count, long batch_size, int shuffle_mode) {
            check_shuffle_mode(shuffle_mode);
            std::lock_guard<std::mutex> lock(n.mutex);
            n.begin_epoch(as_int(count, "n"), as_int(batch_size, "batch_size"), shuffle_mode);
        }, py::arg("n"), py::arg("batch_size"), py::arg("shuffle_mode"))
        .def("train_batches", [](Network& n, py::handle x, FloatArray y, std::optional<FloatArray> w, long first,
                                 long count) {
            const std::vector<FloatArray> xs = input_arrays(n, x, "train_batches");
            const std::vector<const float*> px = pointers(xs);
            const int F = as_int(first, "first"), C = as_int(count, "count");
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            const float* pw = check_samples(n, xs, y, w, "");
            n.train_batches(px.data(), y.data(), pw, as_int(xs[0].shape(0), "n"), F, C);
        }, py::arg("xs"), py::arg("y"), py::arg("w"), py::arg("first"), py::arg("count"))
        .def_property_readonly("epoch_batches", &Network::epoch_batches)
        .def("epoch_logs", &Network::epoch_logs)
        .def("fit_epochs", [](Network& n, py::handle x, FloatArray y, std::optional<FloatArray> w, long batch_size,
                              long epochs, int shuffle_mode, py::object vx, std::optional<FloatArray> vy,
                              std::optional<FloatArray> vw, long val_batch_size) {
            const std::vector<FloatArray> xs = input_arrays(n, x, "fit_epochs");
            std::vector<FloatArray> vxs;
            if (!vx.is_none() || vy) {
                if (vx.is_none() || !vy) throw py::value_error("validation needs both x and y");
                vxs = input_arrays(n, vx, "fit_epochs validation");
            }
            check_shuffle_mode(shuffle_mode);
            const int E = as_int(epochs, "epochs"), width = 1 + n.num_metrics();
            py::array_t<double> train({(long)E, (long)width}), val({(long)E, (long)width});
            double *pt = train.mutable_data(), *pv = val.mutable_data();
            const int B = as_int(batch_size, "batch_size"), VB = as_int(val_batch_size, "validation batch_size");
            const std::vector<const float*> px = pointers(xs), pvx = pointers(vxs);
            {
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(n.mutex);
                if (width != 1 + n.num_metrics()) throw py::value_error("the network was recompiled meanwhile");
                const float* pw = check_samples(n, xs, y, w, "");
                const float* pvw = vxs.empty() ? nullptr : check_samples(n, vxs, *vy, vw, "validation ");
                const int VN = vxs.empty() ? 0 : as_int(vxs[0].shape(0), "validation n");
                n.fit_epochs(px.data(), y.data(), pw, as_int(xs[0].shape(0), "n"), B, E, shuffle_mode, pvx.data(),
                             vy ? vy->data() : nullptr, pvw, VN, VB, pt, pv);
            }
            return py::make_tuple(train, val);
        }, py::arg("xs"), py::arg("y"), py::arg("w"), py::arg("batch_size"), py::arg("epochs"), py::arg("shuffle_mode"),
           py::arg("val_xs") = py::none(), py::arg("val_y") = py::none(), py::arg("val_w") = py::none(),
           py::arg("val_batch_size") = 32)
        .def("evaluate", [](Network& n, py::handle x, FloatArray y, std::optional<FloatArray> w, long batch_size) {
            const std::vector<FloatArray> xs = input_arrays(n, x, "evaluate");
            const std::vector<const float*> px = pointers(xs);
            const int B = as_int(batch_size, "batch_size");
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(n.mutex);
            const float* pw = check_samples(n, xs, y, w, "");
            return n.evaluate(px.data(), y.data(), pw, as_int(xs[0].shape(0), "n"), B);
        }, py::arg("xs"), py::arg("y"), py::arg("w") = py::none(), py::arg("batch_size") = 32)
        .def("predict", [](Network& n, py::handle x, long batch_size) {
            return predict(n, input_arrays(n, x, "predict"), batch_size);
        }, py::arg("xs"), py::arg("batch_size") = 32, "(n, *output_shape) float32")
        // model.predict's fast path: float32 C-contiguous arrays of the input shapes with n > 0 are predicted
        // with no conversion; anything else returns None and Python takes the checked path.
        .def("predict_fast", &predict_fast, py::arg("xs"), py::arg("batch_size"), py::arg("max_work"));
}

}  // namespace pmdl::bind
