// pybind11 glue: the plain configuration structs Python fills (loss, metric, optimizer).
#include "bindings_common.h"
#include "losses.h"
#include "metrics.h"
#include "optimizers.h"

namespace pmdl::bind {

void bind_configs(py::module_& m) {
    py::class_<LossConfig>(m, "LossConfig")
        .def(py::init<>())
        .def_readwrite("kind", &LossConfig::kind)
        .def_readwrite("from_logits", &LossConfig::from_logits)
        .def_readwrite("huber_delta", &LossConfig::huber_delta);

    py::class_<MetricConfig>(m, "MetricConfig")
        .def(py::init<>())
        .def(py::init<Metric>())
        .def_readwrite("kind", &MetricConfig::kind)
        .def_readwrite("threshold", &MetricConfig::threshold)
        .def_readwrite("k", &MetricConfig::k)
        .def_readwrite("num_thresholds", &MetricConfig::num_thresholds)
        .def_readwrite("curve", &MetricConfig::curve)
        .def_readwrite("summation", &MetricConfig::summation)
        .def_readwrite("from_logits", &MetricConfig::from_logits);
    py::implicitly_convertible<Metric, MetricConfig>();

    py::class_<OptimizerConfig>(m, "OptimizerConfig")
        .def(py::init<>())
        .def_readwrite("kind", &OptimizerConfig::kind)
        .def_readwrite("learning_rate", &OptimizerConfig::learning_rate)
        .def_readwrite("hyper", &OptimizerConfig::hyper,
                       "the rule's hyperparameters by Keras name, e.g. {'momentum': 0.9, 'nesterov': 1}")
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
}

}  // namespace pmdl::bind
