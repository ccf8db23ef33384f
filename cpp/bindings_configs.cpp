// pybind11 glue: the plain configuration structs Python fills (loss, optimizer, layer spec).
#include "bindings_common.h"
#include "losses.h"
#include "optimizers.h"

namespace pmdl::bind {

void bind_configs(py::module_& m) {
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
}

}  // namespace pmdl::bind
