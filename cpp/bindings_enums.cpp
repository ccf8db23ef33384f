// pybind11 glue: the enums (activation, loss, metric, optimizer, schedule, layer kind).
#include "activations.h"
#include "bindings_common.h"
#include "losses.h"
#include "metrics.h"
#include "network.h"
#include "optimizers.h"

namespace pmdl::bind {

void bind_enums(py::module_& m) {
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
}

}  // namespace pmdl::bind
