// pybind11 glue: the enums (activation, loss, metric, optimizer, schedule); layer kinds are names
// (_core.layer_kinds(), from the registry in cpp/layers/layer.h).
#include "activations.h"
#include "bindings_common.h"
#include "losses.h"
#include "metrics.h"
#include "optimizers.h"

namespace pmdl::bind {

namespace {

// A Python enum with one value per member of E's list (enum_list.h), named as the list names it.
template <class E>
void bind_enum(py::module_& m, const char* name) {
    py::enum_<E> e(m, name);
    for (int i = 0; i < EnumList<E>::count(); ++i) e.value(EnumList<E>::name(i), static_cast<E>(i));
}

}  // namespace

void bind_enums(py::module_& m) {
    bind_enum<Act>(m, "Act");
    bind_enum<Loss>(m, "Loss");
    bind_enum<Metric>(m, "Metric");
    bind_enum<Opt>(m, "Opt");
    py::enum_<Schedule>(m, "Schedule")
        .value("constant", Schedule::Constant).value("exponential_decay", Schedule::ExponentialDecay)
        .value("piecewise_constant_decay", Schedule::PiecewiseConstantDecay)
        .value("inverse_time_decay", Schedule::InverseTimeDecay);
}

}  // namespace pmdl::bind
