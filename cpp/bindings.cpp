// pybind11 module pyminidl._core: the glue is split by concern into bindings_*.cpp, one function each.
#include "bindings_common.h"

#define PMDL_STRINGIFY(x) #x
#define PMDL_TO_STRING(x) PMDL_STRINGIFY(x)

PYBIND11_MODULE(_core, m) {
    namespace bind = pmdl::bind;
    m.doc() = "pyminidl's C++ core: GEMM, activations, losses, optimizers, layers and the network graph";
    // pyproject.toml's version, passed by CMake; pyminidl.__version__ reads it from here.
    m.attr("__version__") = PMDL_TO_STRING(VERSION_INFO);
    bind::bind_enums(m);
    bind::bind_configs(m);
    bind::bind_kernels(m);
    bind::bind_network(m);
}
